import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const tsxLoader = createRequire(import.meta.url).resolve('tsx');
const demo = pathToFileURL(fileURLToPath(new URL('../../src/cli/demo.ts', import.meta.url))).href;

/** loadLocalS3 over `module`, in a real Node process (vitest's resolver would find this checkout's s3rver). */
async function loadIn(module: string): Promise<string> {
  const script = `import { loadLocalS3 } from '${demo}';\nawait loadLocalS3(() => import('${pathToFileURL(module).href}')).catch((e) => console.log(e.message));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], {
    cwd: tmpdir(),
  });
  return stdout.trim();
}

describe('ingest demo without s3rver installed (npm install ingest leaves it out)', () => {
  it('says how to get it, instead of a module-not-found stack; other failures pass through', async () => {
    // Modules outside this checkout: Node finds no s3rver from there, as in a lean install.
    const dir = await mkdtemp(join(tmpdir(), 'lean-install-'));
    try {
      const localS3 = join(dir, 'localS3.mjs');
      await writeFile(localS3, "import S3rver from 's3rver';\nexport const startLocalS3 = S3rver;\n");
      expect(await loadIn(localS3)).toBe(
        'ingest demo needs the local S3 server s3rver, which `npm install ingest` leaves out: run `npm install s3rver@3.7.1` beside it (a checkout has it after `npm ci`)',
      );
      const broken = join(dir, 'broken.mjs');
      await writeFile(broken, "import nothing from 'not-a-package-at-all';\nexport default nothing;\n");
      expect(await loadIn(broken)).toMatch(/Cannot find package 'not-a-package-at-all'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
