/**
 * Issue 11 point 10 through the real `kiosk` CLI: a price book with one line nested 5 000 arrays deep neither kills
 * `kiosk pricebook import` (clear error, exit 1, no stack) nor stops the kiosk from booting when such a signed book
 * was staged for resume before a restart.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SimulatedClock } from '../kernel/clock';
import { PricebookReceiver } from '../runtime/pricebook/sync/receiver';
import { item, openDb, signManifest, verifyManifest } from './support/pricebook-sync';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';

const DEEP = 5000;
const deepLine = '['.repeat(DEEP) + ']'.repeat(DEEP);

describe('a price book nested 5 000 deep', () => {
  afterEach(killStrays);
  let dir: string;
  beforeEach(() => {
    dir = tempDir('kiosk-deep-json-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['book.jsonl', `${JSON.stringify(item(1))}\n${deepLine}\n`, 'book.jsonl line 2: invalid JSON: too deep: JSON nested deeper than 64 levels'],
    ['book.json', `[${JSON.stringify(item(1))},${deepLine}]`, 'book.json: invalid JSON: too deep: JSON nested deeper than 64 levels'],
    ['object.jsonl', `{"sku":"A","barcodes":${deepLine}}\n`, 'object.jsonl line 1: invalid JSON: too deep'],
  ])('kiosk pricebook import %s: a clear error naming the line and the limit, exit 1, no stack', (name, text, message) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    const r = kiosk(['pricebook', 'import', file, '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/unexpected error|RangeError|^\s+at /m);
    expect(r.stderr.length).toBeLessThan(500);
  });

  it('kiosk start boots and sells on with the old book when a staged signed book with such a line awaits resume', async () => {
    // the state a crash in the middle of applying leaves: the manifest accepted, every chunk staged, still "receiving"
    const chunk = gzipSync(Buffer.from(`${JSON.stringify(item(1))}\n${deepLine}\n`));
    const sha = createHash('sha256').update(chunk).digest('hex');
    const db = await openDb(path.join(dir, 'kiosk.sqlite'));
    try {
      const r = new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'lane-01', verifyManifest });
      const manifest = { version: 'deep-1', kind: 'full' as const, chunkCount: 1, items: 2, chunks: [{ index: 0, sha256: sha, bytes: chunk.length }], sha256: sha };
      expect(await r.offerManifest(signManifest(manifest))).toMatchObject({ status: 'receiving' });
      await db.transaction((tx) => tx.run('INSERT INTO pricebook_chunks (version, idx, data) VALUES (?, ?, ?)', ['deep-1', 0, chunk]));
    } finally {
      await db.close();
    }

    const child = kioskAsync(['start', '--data', dir]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let ready = '';
    await watchLines(child, (l) => !!(ready = l.startsWith('ready ') ? l : ready));
    expect({ ready, stderr: stderr.includes('Maximum call stack') ? stderr : '' }).toEqual({ ready: expect.stringMatching(/^ready .* items=\d+ /), stderr: '' });
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);

    const check = await openDb(path.join(dir, 'kiosk.sqlite'));
    try {
      expect(await check.read.get('SELECT status, reason FROM pricebook_transfers WHERE version = ?', ['deep-1'])).toEqual({ status: 'rejected', reason: 'invalid_book' });
      expect(await check.read.get("SELECT value FROM meta WHERE key = 'pricebook_version'")).not.toEqual({ value: 'deep-1' });
    } finally {
      await check.close();
    }
    // and the next boot has nothing left to trip over
    const again = kioskAsync(['start', '--data', dir]);
    let ready2 = '';
    await watchLines(again, (l) => !!(ready2 = l.startsWith('ready ') ? l : ready2));
    expect(ready2).toMatch(/^ready /);
    again.kill('SIGTERM');
    expect((await exited(again)).code).toBe(0);
  });
});
