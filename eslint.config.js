// @ts-check
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ and machines/, top first. A module imports only from its own folder or from
 * a folder in a lower layer; folders of one layer never import each other. So arrows point one
 * way and no folder-level cycle can form (docs/architecture.md draws the map).
 */
const layers = [
  ['src/index.ts', 'src/entries'],
  ['src/cli'],
  ['src/ingestion', 'src/devtools'],
  ['machines'],
  ['src/run'],
  ['src/paging', 'src/output'],
  ['src/auth', 'src/staging', 'src/storage', 'src/report', 'src/simulator'],
  ['src/http', 'src/pacing', 'src/checksum', 'src/faults'],
  ['src/config'],
  ['src/logging'],
  ['src/runtime'],
  ['src/errors.ts'],
];
const rootDir = path.dirname(fileURLToPath(import.meta.url));
const rankOf = new Map(layers.flatMap((folders, rank) => folders.map((folder) => [folder, rank])));

/** `src/paging/pageStream.ts` -> `src/paging`; a file directly in src/ is its own unit. */
function unitOf(file) {
  const parts = path.relative(rootDir, file).split(path.sep);
  if (parts[0] === 'machines') return 'machines';
  if (parts[0] !== 'src') return undefined;
  // A module named by its emitted name (`../errors.js`) is the TypeScript file.
  return parts.length === 2 ? `src/${parts[1].replace(/\.js$/, '.ts')}` : `src/${parts[1]}`;
}

/** @type {import('eslint').Rule.RuleModule} */
const importLayers = {
  meta: { type: 'problem', schema: [], docs: { description: 'imports point down the layers of eslint.config.js' } },
  create(context) {
    const from = unitOf(context.filename);
    if (from === undefined) return {};
    const check = (node) => {
      const spec = node.source && node.source.type === 'Literal' ? node.source.value : undefined;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = unitOf(path.resolve(path.dirname(context.filename), spec));
      if (to === undefined || to === from) return;
      const [fromRank, toRank] = [rankOf.get(from), rankOf.get(to)];
      if (fromRank === undefined || toRank === undefined) {
        context.report({
          node,
          message: `${fromRank === undefined ? from : to} is in no layer: add it to the layer table in eslint.config.js`,
        });
      } else if (toRank <= fromRank) {
        context.report({ node, message: `${from} may not import ${to}: imports point down the layers (eslint.config.js)` });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'data/', 'node_modules/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { ingest: { rules: { 'import-layers': importLayers } } },
    rules: {
      'ingest/import-layers': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Read time from the injected runtime clock.' },
        { object: 'Math', property: 'random', message: 'Use the injected runtime random source.' },
      ],
    },
  },
  {
    files: ['src/runtime/**', 'test/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
