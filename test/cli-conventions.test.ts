/**
 * Issue 13 (CLI conventions): the `kiosk` and `hq` CLIs as a technician meets them — version, global options before
 * or after the subcommand, exit codes (0 ok, 1 kiosk error, 2 bad usage or config) with one line and never a stack
 * for a user error, ISO 8601 times in --json, and `--help` that loads nothing heavy. Real processes on temp dirs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kiosk, ROOT } from './support/cli';
import { tempDir } from './support/engine-fixture';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** A user error: the exit code, one line on stderr saying `what`, no stack frame. */
function expectOneLine(r: { code: number | null; stderr: string }, code: number, what: RegExp) {
  expect({ code: r.code, stderr: r.stderr.trimEnd() }).toEqual({ code, stderr: expect.stringMatching(what) });
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain('unexpected error');
}

describe('kiosk CLI conventions', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('kiosk-cli-conv-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('kiosk --version, kiosk -V and hq --version print the package version (exit 0)', () => {
    expect(kiosk(['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    expect(kiosk(['-V'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    const hq = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'hq', 'cli.js'), '--version'], { encoding: 'utf8' });
    expect({ code: hq.status, stdout: hq.stdout }).toEqual({ code: 0, stdout: `${VERSION}\n` });
  });

  it('--data and --config work before or after the subcommand; the one after it wins', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    const before = kiosk(['--data', a, 'journal', 'verify']);
    expectOneLine(before, 1, new RegExp(`^kiosk: no kiosk database at ${a}/kiosk\\.sqlite$`));
    expectOneLine(kiosk(['journal', 'verify', '--data', a]), 1, new RegExp(`at ${a}/kiosk\\.sqlite$`));
    expectOneLine(kiosk(['--data', a, 'journal', 'verify', '--data', b]), 1, new RegExp(`at ${b}/kiosk\\.sqlite$`));
    // a nested command and --config before it
    const config = path.join(dir, 'kiosk.json');
    fs.writeFileSync(config, JSON.stringify({ dataDir: b }));
    const listed = kiosk(['--config', config, 'orders', 'list', '--json']);
    expect({ code: listed.code, stdout: listed.stdout }).toEqual({ code: 0, stdout: '[]\n' });
    expect(fs.existsSync(path.join(b, 'kiosk.sqlite'))).toBe(true);
    // a command's own --version stays its own (global options are positional)
    const csv = path.join(dir, 'p.csv');
    fs.writeFileSync(csv, 'sku,barcodes,name_en,unit_price,tax_class,age_limit,sold_by_weight\nA1,6901000000059,Apple,350,standard,,false\n');
    const imported = kiosk(['pricebook', 'import', csv, '--version', 'v7', '--json', '--data', a]);
    expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: '' });
    expect(imported.stdout).toContain('v7');
  });

  it('--log-level and KIOSK_LOG_LEVEL / KIOSK_LOG_FORMAT are checked: exit 2 naming the variable and the levels, no stack', () => {
    const levels = 'use one of fatal, error, warn, info, debug, trace, silent';
    expectOneLine(kiosk(['journal', 'verify', '--data', dir], { env: { KIOSK_LOG_LEVEL: 'loud' } }), 2, new RegExp(`KIOSK_LOG_LEVEL: "loud" is not a log level; ${levels}`));
    expectOneLine(kiosk(['--log-level', 'loud', 'journal', 'verify', '--data', dir]), 2, /--log-level: "loud" is not a log level/);
    expectOneLine(kiosk(['journal', 'verify', '--data', dir], { env: { KIOSK_LOG_FORMAT: 'xml' } }), 2, /KIOSK_LOG_FORMAT: "xml" is not a log format; use one of pretty, json/);
  });

  it('KIOSK_FOO=1: exit 2, "KIOSK_FOO: unknown setting" (the variable, not a config path)', () => {
    expectOneLine(kiosk(['journal', 'verify', '--data', dir], { env: { KIOSK_FOO: '1' } }), 2, /^kiosk: invalid configuration: KIOSK_FOO: unknown setting/);
  });

  it("--data '' and --config '' are usage errors (exit 2), not ./kiosk-data", () => {
    const cwd = tempDir('kiosk-cli-cwd-');
    try {
      expectOneLine(kiosk(['journal', 'verify', '--data', ''], { cwd }), 2, /^kiosk: --data needs a directory, got an empty string$/);
      expectOneLine(kiosk(['--config', '', 'orders', 'list'], { cwd }), 2, /^kiosk: --config needs a file, got an empty string$/);
      expect(fs.readdirSync(cwd)).toEqual([]);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('a config file with a UTF-8 BOM is read; one with "__proto__" is refused as an unknown field (exit 2)', () => {
    const bom = path.join(dir, 'bom.json');
    fs.writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ dataDir: path.join(dir, 'd') }))]));
    expect(kiosk(['orders', 'list', '--config', bom])).toMatchObject({ code: 0, stdout: 'no orders\n' });
    const proto = path.join(dir, 'proto.json');
    fs.writeFileSync(proto, '{"__proto__":{"tpyo":1}}');
    expectOneLine(kiosk(['orders', 'list', '--config', proto, '--data', dir]), 2, /^kiosk: invalid configuration: __proto__: unknown field$/);
  });

  it('demo --data <a regular file>: exit 1, one line saying it is no folder', () => {
    const file = path.join(dir, 'afile');
    fs.writeFileSync(file, 'x');
    expectOneLine(kiosk(['demo', '--data', file]), 1, new RegExp(`^kiosk: STORAGE_FAILED: cannot use ${file} as the data folder \\((EEXIST|ENOTDIR)\\)`));
  });

  it('report eod --date 2026-13-45: exit 2 and no PDF', () => {
    const r = kiosk(['report', 'eod', '--date', '2026-13-45', '--data', dir]);
    expectOneLine(r, 2, /--date must be a date YYYY-MM-DD, got "2026-13-45"/);
    expectOneLine(kiosk(['report', 'eod', '--date', '2026-02-30', '--data', dir]), 2, /got "2026-02-30"/);
    expect(fs.existsSync(path.join(dir, 'reports'))).toBe(false);
  });

  it('orders list --json: times as ISO 8601, field names unchanged', () => {
    expect(kiosk(['demo', '--data', dir]).code).toBe(0);
    const r = kiosk(['orders', 'list', '--json', '--data', dir]);
    const [o] = JSON.parse(r.stdout) as { id: string; updatedAt: unknown }[];
    expect(o.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const shown = JSON.parse(kiosk(['orders', 'show', o.id, '--json', '--data', dir]).stdout) as { createdAt: unknown; updatedAt: unknown };
    expect(shown.updatedAt).toBe(o.updatedAt);
    expect(Date.parse(shown.createdAt as string)).toBeLessThanOrEqual(Date.parse(o.updatedAt as string));
  });
});

describe('--help loads nothing heavy', () => {
  /** The modules `node <cli> --help` has loaded when it exits. */
  function loadedBy(cli: string): string[] {
    const script = `
      process.argv = [process.argv[0], ${JSON.stringify(cli)}, '--help'];
      process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(require.cache))));
      require(${JSON.stringify(cli)});`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage:');
    return JSON.parse(r.stderr) as string[];
  }

  // the CLI's own module graph: cli-main.js is tsc's cli.js, one file per module; the `kiosk` command runs the same
  // code from a bundle (scripts/build.js), whose lazily loaded modules never show in require.cache
  it('kiosk --help: no zod, config loader, SQLite, MQTT, pino or command module', () => {
    const loaded = loadedBy(path.join(ROOT, 'dist', 'device', 'cli-main.js'));
    expect(loaded.some((f) => f.endsWith(path.join('dist', 'device', 'cli-main.js')))).toBe(true);
    const heavy = loaded.filter((f) => /[\\/]node_modules[\\/](zod|sqlite3|mqtt|pino|pino-pretty|pdfkit|serialport)[\\/]|[\\/]dist[\\/](config|runtime|drivers|simulators)[\\/]|[\\/]dist[\\/]device[\\/]commands[\\/]/.test(f));
    expect(heavy).toEqual([]);
  });
});
