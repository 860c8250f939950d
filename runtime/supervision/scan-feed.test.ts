import { EventEmitter } from 'node:events';
import type { BarcodeScanner, ScanData } from '../../drivers/contract';
import type { Lane, ScanOutcome } from '../lane/lane';
import { ScanFeed } from './scan-feed';

const read = (raw: string): ScanData => ({ raw }) as ScanData;

describe('ScanFeed', () => {
  it('hands an unexpected failure to onError with its cause, reports an error outcome, and keeps feeding in order', async () => {
    const scanner = new EventEmitter() as unknown as BarcodeScanner;
    const seen: string[] = [];
    const lane = {
      scan: async (raw: string) => {
        seen.push(raw);
        if (raw === 'bad') throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
        return { ok: true, raw } as unknown as ScanOutcome;
      },
    } as unknown as Lane;
    const errors: unknown[] = [];
    const feed = new ScanFeed(scanner, lane, (e) => errors.push(e));
    const outcomes: ScanOutcome[] = [];
    feed.on('outcome', (o) => outcomes.push(o));
    for (const raw of ['a', 'bad', 'b']) (scanner as unknown as EventEmitter).emit('data', read(raw));
    await feed.idle();
    expect(seen).toEqual(['a', 'bad', 'b']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('disk I/O error');
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(outcomes[1]).toMatchObject({ ok: false, detail: 'disk I/O error' });
    feed.stop();
  });
});
