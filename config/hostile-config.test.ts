/**
 * Issue 11 point 10 for configuration: a config file (or a KIOSK_* value) nested thousands deep, or one with
 * thousands of wrong fields, gives a short ConfigError — never a stack overflow in the error formatter.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../kernel/errors';
import { formatIssues } from './fields';
import { loadConfig } from './load';

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('hostile configuration input', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-hostile-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a config file with a value nested 10 000 deep: ConfigError naming the file and the depth limit', () => {
    const file = path.join(dir, 'kiosk.json');
    fs.writeFileSync(file, `{"tax":{"rate":${deep(10_000)}}}`);
    const e = configError(() => loadConfig({ configPath: file, env: {} }));
    expect(e.problems).toEqual([`${file}: too deep: JSON nested deeper than 64 levels (at character 77)`]);
  });

  it('a wrong value nested deep but within the parse limit is shown short', () => {
    const e = configError(() => loadConfig({ env: {}, overrides: { tax: { rate: JSON.parse(deep(60)) as unknown } } }));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(/^tax\.rate: expected number.*, got \[\[\[\[\[\[/);
    expect(e.problems[0].length).toBeLessThan(200);
  });

  it('formatIssues of a value nested 100 000 deep (built in code, no parse limit) does not overflow', () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    const r = z.object({ a: z.number() }).safeParse({ a: v });
    expect(r.success).toBe(false);
    const lines = formatIssues(r.error!.issues, { a: v });
    expect(lines).toHaveLength(1);
    expect(lines[0].length).toBeLessThan(200);
  });

  it('10 000 wrong fields: the first 20 problems and a count of the rest', () => {
    const input = { list: Array.from({ length: 10_000 }, () => 'x') };
    const r = z.object({ list: z.array(z.number()) }).safeParse(input);
    const lines = formatIssues(r.error!.issues, input);
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe('list.0: Invalid input: expected number, received string, got "x"');
    expect(lines[20]).toBe('… and 9980 more problems');
  });

  it('"__proto__", "constructor" and "prototype" keys are unknown fields like any other, at the top and nested', () => {
    const file = path.join(dir, 'kiosk.json');
    fs.writeFileSync(file, '{"__proto__":{"tpyo":1},"constructor":{"a":1},"tax":{"__proto__":{"rate":0.5},"prototype":1}}');
    const e = configError(() => loadConfig({ configPath: file, env: {} }));
    expect(e.problems).toEqual(expect.arrayContaining(['__proto__: unknown field', 'constructor: unknown field', 'tax.__proto__: unknown field', 'tax.prototype: unknown field']));
    expect(e.problems).toHaveLength(4);
    // and nothing leaked into a prototype on the way
    expect(({} as Record<string, unknown>).tpyo).toBeUndefined();
  });

  it('a KIOSK_* variable holding "__proto__" is refused too, naming the variable', () => {
    const e = configError(() => loadConfig({ env: { KIOSK_SCREEN: '{"__proto__":{"port":1}}' } }));
    expect(e.problems).toEqual(['KIOSK_SCREEN: screen.__proto__: unknown field']);
  });
});
