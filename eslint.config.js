// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import skScan from './scripts/eslint-no-cycles.mjs';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'fixtures/'] },
  js.configs.recommended,
  // Type-checked: a promise nobody awaits or handles (no-floating-promises,
  // no-misused-promises) is an error, so a rejection cannot escape unhandled.
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bench/*.mjs', 'scripts/*.mjs', 'fixtures/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Modules import down, never round: a loop of imports (types included) is an error.
    files: ['src/**/*.ts'],
    plugins: { 'sk-scan': skScan },
    rules: { 'sk-scan/no-import-cycles': 'error' },
  },
  {
    // The pipeline and the git sources stay made of small parts.
    files: ['src/pipeline/**/*.ts', 'src/sources/git/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: false, skipComments: false }] },
  },
  {
    // Plain JavaScript (this file, the bench and build scripts) has no types to check.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tests read the CLI's JSON output, which is untyped by nature.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
