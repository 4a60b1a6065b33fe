import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** The layer rule's messages for `code` linted as if it were the file at `file`. */
async function layerProblems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${file}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'ingest/import-layers').map((m) => m.message);
}

describe('the import-layers lint rule', () => {
  it('refuses an upward import, type-only ones too', async () => {
    expect(
      await layerProblems(
        'src/paging/x.ts',
        "import { runIngestion } from '../ingestion/runIngestion.js';\nexport const f = runIngestion;\n",
      ),
    ).toEqual(['src/paging may not import src/ingestion: imports point down the layers (eslint.config.js)']);
    expect(
      await layerProblems(
        'src/run/x.ts',
        "import type { IngestionRunMachine } from '../../machines/ingestionRun.js';\nexport type M = IngestionRunMachine;\n",
      ),
    ).toHaveLength(1);
    expect(await layerProblems('src/errors.ts', "export { realClock } from './runtime/clock.js';\n")).toHaveLength(1);
  });

  it('refuses an import between two folders of one layer (the way cycles start)', async () => {
    expect(await layerProblems('src/output/x.ts', "export { pageStream } from '../paging/pageStream.js';\n")).toEqual([
      'src/output may not import src/paging: imports point down the layers (eslint.config.js)',
    ]);
  });

  it('accepts downward imports and imports within a folder', async () => {
    const code = [
      "import { ConfigError } from '../errors.js';",
      "import { realClock } from '../runtime/clock.js';",
      "import { AttemptFailure } from './attemptFailure.js';",
      'export const all = [ConfigError, realClock, AttemptFailure];',
      '',
    ].join('\n');
    expect(await layerProblems('src/paging/x.ts', code)).toEqual([]);
    expect(await layerProblems('machines/x.ts', "export { emptyCounters } from '../src/run/runCounters.js';\n")).toEqual([]);
  });

  it('asks for a new folder to be placed in the table', async () => {
    expect(await layerProblems('src/newThing/x.ts', "export { ConfigError } from '../errors.js';\n")).toEqual([
      'src/newThing is in no layer: add it to the layer table in eslint.config.js',
    ]);
  });
});
