import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface LintResult {
  /** eslint ignores this path (nothing is reported for it). */
  ignored: boolean;
  /** The rule id of each problem (null for a parse error). */
  rules: Array<string | null>;
  /** The message of each problem, in the same order. */
  messages: string[];
}

/**
 * Lints each `[file, code]` with the project's own eslint.config.mjs, as `npm run lint` would if `code` were at `file`
 * (relative to the project root; the file need not exist). One child process for all cases: the config is an ES module.
 */
export function lintAs(cases: Array<[string, string]>): LintResult[] {
  const script = `
    import { ESLint } from 'eslint';
    const cases = JSON.parse(process.argv[1]);
    const eslint = new ESLint({ cwd: process.cwd() });
    const out = [];
    for (const [file, code] of cases) {
      const ignored = await eslint.isPathIgnored(file);
      const [r] = ignored ? [{ messages: [] }] : await eslint.lintText(code, { filePath: file });
      out.push({ ignored, rules: r.messages.map((m) => m.ruleId), messages: r.messages.map((m) => m.message) });
    }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(cases)], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`eslint failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as LintResult[];
}
