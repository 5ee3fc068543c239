// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use a union of string literals.' }],
    },
  },
  {
    // The domain is pure: no I/O, no clock, no other layer.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'http', 'https', 'net', 'crypto', 'koa', '@koa/*', 'pino', 'better-sqlite3', '@eventstore/*'], message: 'src/domain is pure: no I/O.' },
          { group: ['**/api/**', '**/eventstore/**', '**/projections/**', '**/scheduler/**', '**/cli/**', '**/config*'], message: 'src/domain imports no other layer.' },
        ],
      }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Time arrives on the command.' }],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'src/domain is pure.' }, { name: 'setTimeout', message: 'src/domain is pure.' }],
    },
  },
);
