/**
 * Issue 15, bills are bounded at the `hq reconcile` CLI (dist/: `npm run build` first): a bill file larger than the
 * bill limit (a sparse file: nothing is written to disk) is refused from its size before it is read, a file that is
 * not there and a bill whose bytes are garbage give one clear line on stderr and exit 2 — never a stack trace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BILL_LIMITS } from '../hq/reconcile/bill-types';
import { IngestStore } from '../hq/ingest/store';
import { ROOT } from './support/cli';
import { tmpDir } from './support/sync-fixtures';

const hq = (args: string[]) => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'hq', 'cli.js'), 'reconcile', ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { code: r.status, stderr: r.stderr.trimEnd() };
};

describe('hq reconcile: hostile and malformed bill files', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = tmpDir('hq-reconcile-bounds-');
    db = path.join(dir, 'hq.sqlite');
    await (await IngestStore.open(db)).close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each<[string, () => string, (channel: string) => RegExp]>([
    ['a file one byte over the limit', () => {
      const f = path.join(dir, 'huge.csv');
      fs.closeSync(fs.openSync(f, 'w'));
      fs.truncateSync(f, BILL_LIMITS.maxBytes + 1);
      return f;
    }, () => new RegExp(`^hq: --bill: .*huge\\.csv is ${BILL_LIMITS.maxBytes + 1} bytes, more than ${BILL_LIMITS.maxBytes}$`)],
    ['a device with no size and no end (/dev/zero): read up to the limit, not without bound', () => '/dev/zero', () => new RegExp(`^hq: --bill: /dev/zero holds more than ${BILL_LIMITS.maxBytes} bytes$`)],
    ['a missing file', () => path.join(dir, 'nope.csv'), () => /^hq: --bill: cannot read .*nope\.csv$/],
    ['random bytes', () => {
      const f = path.join(dir, 'noise.bin');
      fs.writeFileSync(f, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
      return f;
    }, (channel: string) => new RegExp(`^hq: ${channel} bill line 1: `)],
    ['a zip that is only its signature', () => {
      const f = path.join(dir, 'broken.zip');
      fs.writeFileSync(f, Buffer.from('PK\x03\x04garbage', 'latin1'));
      return f;
    }, (channel: string) => new RegExp(`^hq: ${channel} bill: `)],
  ])('%s: exit 2, one line, no stack', (_name, make, what) => {
    const file = make();
    for (const channel of ['alipay', 'wechat', 'unionpay']) {
      const r = hq(['--channel', channel, '--date', '2026-12-05', '--bill', file, '--db', db]);
      expect(r).toEqual({ code: 2, stderr: expect.stringMatching(what(channel)) });
      expect(r.stderr.split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
    }
  }, 60_000);
});
