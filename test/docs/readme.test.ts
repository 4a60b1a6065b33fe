import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ingestionRun } from '../../machines/ingestionRun.js';
import { optionDefault } from '../../src/config/optionDefault.js';
import { envVarName } from '../../src/config/optionNames.js';
import { runConfigSchema } from '../../src/config/runConfig.js';
import { machineToMermaid } from '../../src/devtools/diagram.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the state diagram generated from the machine definition', () => {
    const block = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(machineToMermaid(ingestionRun, { descriptions: false }));
  });

  it('documents every run option with its variable and default', () => {
    for (const [key, schema] of Object.entries(runConfigSchema.shape)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, key).toBeDefined();
      expect(row).toContain(`\`${envVarName(key)}\``);
      const fallback = optionDefault(schema);
      if (fallback !== undefined && fallback !== '') expect(row).toContain(`\`${String(fallback)}\``);
    }
  });

  it('keeps the two-command quick start', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toMatch(/^npm test\b/m);
  });
});
