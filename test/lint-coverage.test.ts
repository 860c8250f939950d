import { lintAs as lint } from './support/eslint';

/**
 * `npm run lint` (`eslint .`) covers every piece of code the project runs, not only its TypeScript: the JS scripts
 * (scripts/setup.js runs before `npm ci` has built anything), test/global-setup.js, the starter-data generator and the
 * benchmarks. Linted by the project's own eslint.config.mjs in a child process (the config is an ES module).
 */
const BAD_JS = "'use strict';\nconst unused = require('node:fs');\nundefinedHelper();\n";
const BAD_TS = 'const unused: number = 1;\nexport const x: any = 2;\n';
const GOOD_CJS = "'use strict';\nconst path = require('node:path');\nmodule.exports = () => console.log(path.join(__dirname, process.argv[2] ?? ''));\n";

describe('npm run lint covers the code outside the TypeScript folders', () => {
  it('reports a broken JS script, test setup file, generator and benchmark', () => {
    const files: Array<[string, string]> = [
      ['scripts/setup.js', BAD_JS],
      ['scripts/build.js', BAD_JS],
      ['test/global-setup.js', BAD_JS],
      ['scripts/udev-rules.ts', BAD_TS],
      ['config/starter/generate.ts', BAD_TS],
      ['bench/orders.ts', BAD_TS],
    ];
    const results = lint(files);
    expect(results.map((r, i) => [files[i][0], r.ignored])).toEqual(files.map(([f]) => [f, false]));
    for (const r of results.slice(0, 3)) expect(r.rules).toEqual(expect.arrayContaining(['@typescript-eslint/no-unused-vars', 'no-undef']));
    for (const r of results.slice(3)) expect(r.rules).toEqual(expect.arrayContaining(['@typescript-eslint/no-unused-vars', '@typescript-eslint/no-explicit-any']));
  });

  it('lints the JS as CommonJS under node: require, module, __dirname and process are fine', () => {
    expect(lint([['scripts/new-tool.js', GOOD_CJS]])).toEqual([{ ignored: false, rules: [], messages: [] }]);
  });

  it('does not lint build output', () => {
    expect(lint([['dist/device/cli.js', BAD_JS], ['dist-bench/bench/orders.js', BAD_JS]]).map((r) => r.ignored)).toEqual([true, true]);
  });
});
