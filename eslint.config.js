// ESLint: typescript-eslint's recommended rules on the TypeScript of src/, cli/, bench/ and test/,
// and long functions as warnings (a nudge toward one job per function, not a gate: the decoder's
// and scanner's hot loops are long on purpose). Folder cycles are checked by
// scripts/folder-cycles.mjs (see why there); both run in `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/out/**', 'fixtures/**', 'collect/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true }],
      // `_name` says "unused on purpose" (a callback's position, a destructured rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Tests look for escape sequences and control characters in what the commands print.
    files: ['test/**/*.ts'],
    rules: { 'no-control-regex': 'off' },
  },
);
