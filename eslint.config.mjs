import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importArrowsPlugin } from './lint/import-arrows.mjs';

/** The globals of a CommonJS module under node (what the `globals` package calls node + commonjs), read-only. */
const NODE_COMMONJS_GLOBALS = Object.fromEntries(
  ['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'].map(
    (name) => [name, 'readonly'],
  ),
);

export default tseslint.config(
  // build output (scripts/build.js: dist/, dist-bench/ and their trees in the making) and run-time data are not source
  { ignores: ['dist/**', 'dist-bench/**', 'dist*.next-*/**', 'dist*.old-*/**', 'node_modules/**', 'coverage/**', 'test-output/**', 'kiosk-data/**', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // plain CommonJS run by node: scripts/*.js (setup.js runs before `npm ci` has built anything), test/global-setup.js,
  // jest.config.js — no TypeScript step, so `require` is how they load code
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: NODE_COMMONJS_GLOBALS },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // the folder arrows of the README's architecture sketch (lint/import-arrows.mjs)
  { plugins: { kiosk: importArrowsPlugin }, rules: { 'kiosk/import-arrows': 'error' } },
);
