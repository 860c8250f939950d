import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Nothing test-only ships: the dist/ that test/global-setup.js builds (scripts/build.js, the same build as
 * `npm run build`) holds no contract suite, test helper, fixture or test utility, no test/ folder, and no file
 * that loads a test framework.
 */

const NAME = /suite|test-helper|fixture|test-util/i;
const TEST_PACKAGES = /\brequire\(\s*["'](@jest\/globals|jest|fast-check)(\/[^"']*)?["']\s*\)|\bfrom\s+["'](@jest\/globals|jest|fast-check)(\/[^"']*)?["']/;

/** Every file and folder under `root` that must not ship, each with the reason. */
function testOnlyContents(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      const rel = path.relative(root, full);
      if (e.isDirectory()) {
        if (e.name === 'test' || e.name === 'tests' || e.name === '__tests__') found.push(`${rel}/ (test folder)`);
        else if (NAME.test(e.name)) found.push(`${rel}/ (test-only name)`);
        walk(full);
        continue;
      }
      if (NAME.test(e.name)) found.push(`${rel} (test-only name)`);
      else if (/\.test\.(js|d\.ts)$/.test(e.name)) found.push(`${rel} (a test)`);
      if (/\.(c|m)?js$/.test(e.name)) {
        const m = TEST_PACKAGES.exec(fs.readFileSync(full, 'utf8'));
        if (m) found.push(`${rel} (loads ${m[1] ?? m[3]})`);
      }
    }
  };
  walk(root);
  return found.sort();
}

describe('dist/ (what `npm run build` ships)', () => {
  const dist = path.join(__dirname, '..', 'dist');

  it('is a full build: the CLI, the HQ tool and the shopper page are there', () => {
    for (const f of ['device/cli.js', 'hq/cli.js', 'screen/public/screen-ui/app.js']) expect(fs.existsSync(path.join(dist, f))).toBe(true);
  });

  it('holds no contract suite, test helper, fixture, test utility, test folder or test-framework import', () => {
    expect(testOnlyContents(dist)).toEqual([]);
  });

  it('runs the CLI from its bundle: cli.js is the loader, the bundle is ASCII and its code cache is there', () => {
    const device = path.join(dist, 'device');
    expect(fs.readFileSync(path.join(device, 'cli.js'), 'utf8')).toContain("'cli.bundle.js'");
    const bundle = fs.readFileSync(path.join(device, 'cli.bundle.js'));
    // one byte ≥ 0x80 would make V8 hold the whole bundle as a two-byte string (scripts/build.js escapes them)
    expect(bundle.findIndex((b) => b >= 0x80)).toBe(-1);
    const id = /^\/\/ kiosk-bundle ([0-9a-f]+)\n/.exec(bundle.toString('latin1'))?.[1];
    expect(id).toBeDefined();
    expect(fs.readdirSync(device).filter((f) => f.endsWith('.cache'))).toEqual([`cli.bundle.${id}.cache`]);
  });

  it('holds no benchmark (bench/ has its own build, tsconfig.bench.json → dist-bench/)', () => {
    expect(fs.existsSync(path.join(dist, 'bench'))).toBe(false);
  });
});

describe('the dist/ check itself', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dist-contents-'));
    const put = (rel: string, text = '"use strict";\n') => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    put('drivers/printer/test-helpers/printer-contract-suite.js');
    put('drivers/scanner/contract-suite.js.map');
    put('simulators/terminal/fixture.js');
    put('runtime/receipts/pdf-test-utils.js');
    put('test/support/wait.js');
    put('runtime/pricing/engine.test.js');
    put('runtime/pricebook/sync/helpers.js', 'const globals_1 = require("@jest/globals");\n');
    put('kernel/props.js', 'const fc = require("fast-check");\n');
    put('kernel/jest-mock.js', "const j = require('jest');\n");
    // what ships: product code, including a device's own self-test and words that merely mention jest
    put('drivers/terminal/self-test.js', 'exports.x = "jest"; // require("jest-like") is not jest\n');
    put('device/cli.js', 'const z = require("zod");\n');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds each kind of test-only file and names why, and passes product files', () => {
    expect(testOnlyContents(root)).toEqual([
      'drivers/printer/test-helpers/ (test-only name)',
      'drivers/printer/test-helpers/printer-contract-suite.js (test-only name)',
      'drivers/scanner/contract-suite.js.map (test-only name)',
      'kernel/jest-mock.js (loads jest)',
      'kernel/props.js (loads fast-check)',
      'runtime/pricebook/sync/helpers.js (loads @jest/globals)',
      'runtime/pricing/engine.test.js (a test)',
      'runtime/receipts/pdf-test-utils.js (test-only name)',
      'simulators/terminal/fixture.js (test-only name)',
      'test/ (test folder)',
    ]);
  });
});
