import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ingestionRun } from '../../machines/ingestionRun.js';
import { optionDefault } from '../../src/config/optionDefault.js';
import { envVarName } from '../../src/config/optionNames.js';
import { runConfigSchema } from '../../src/config/runConfig.js';
import { machineToMermaid } from '../../src/devtools/diagram.js';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const readme = read('README.md');
const architecture = read('docs/architecture.md');
const configuration = read('docs/configuration.md');

describe('README and docs/', () => {
  it('docs/architecture.md shows the state diagram generated from the machine definition', () => {
    const block = /```mermaid\n([\s\S]*?)```/.exec(architecture)?.[1];
    expect(block).toBe(machineToMermaid(ingestionRun, { descriptions: false }));
  });

  it('docs/configuration.md documents every run option with its variable and default, and the README links to it', () => {
    for (const [key, schema] of Object.entries(runConfigSchema.shape)) {
      const row = configuration.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, key).toBeDefined();
      expect(row).toContain(`\`${envVarName(key)}\``);
      const fallback = optionDefault(schema);
      if (fallback !== undefined && fallback !== '') expect(row).toContain(`\`${String(fallback)}\``);
    }
    expect(readme).toContain('](docs/configuration.md)');
  });

  it('keeps the two-command quick start', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toMatch(/^npm test\b/m);
  });
});
