// Lint also enforces the import rules of DESIGN.md: workflows stay deterministic (no Node
// built-ins, no side-effecting imports from src/ or activities/), and library code never
// reaches up into entry points or activities.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
// Relative paths only: `**/worker` would also match the package `@temporalio/worker`.
const entryPoints = ['main', 'api', 'worker', 'cli'].flatMap((p) => [`./${p}`, `../${p}`, `../../src/${p}`]);

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bin/**', '.herald/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Type-aware: an un-awaited promise is a lost error (or, in a workflow, a lost command).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }] },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
          patterns: [
            { group: ['../src/*', '../src/**', '../activities', '../activities/*'], allowTypeImports: true, message: 'Workflows may only `import type` from src/ and activities/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/main.ts', 'src/api.ts', 'src/worker.ts', 'src/cli.ts', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/activities', '**/activities/*', ...entryPoints], message: 'Library modules never import activities or entry points.' }] },
      ],
    },
  },
  {
    // The console runs in the browser as plain ES modules (no build step).
    files: ['src/console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['document', 'window', 'location', 'sessionStorage', 'fetch', 'URL', 'URLSearchParams', 'Event', 'Node', 'confirm', 'setTimeout'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
