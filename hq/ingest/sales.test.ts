import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalJson } from '../../kernel/canonical-json';
import { entryHash, GENESIS_HASH } from '../../protocol/journal/entry';
import type { EventMessage } from '../../protocol/sync/messages';
import { tmpDir } from '../../test/support/sync-fixtures';
import { isTrainingPayload } from './sales';
import { IngestStore } from './store';

/** A chain of order_completed events with these payloads (store-hashed, as a kiosk writes them today). */
function chainOf(storeId: string, deviceId: string, payloads: unknown[]): EventMessage[] {
  let prevHash = GENESIS_HASH;
  return payloads.map((p, i) => {
    const base = { seq: i + 1, hashStoreId: storeId, deviceId, ts: 1_767_258_000_000 + i, orderId: `o${i + 1}`, type: 'order_completed', payload: canonicalJson(p), prevHash };
    const hash = entryHash(base);
    prevHash = hash;
    return { v: 1, storeId, ...base, hash };
  });
}

describe('HQ sales totals', () => {
  let dir: string;
  let store: IngestStore;
  beforeEach(async () => {
    dir = tmpDir('hq-sales-');
    store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps training orders (flag in the hashed payload) out of the totals and counts them apart', async () => {
    const events = chainOf('S1', 'K1', [
      { total: 1000, order: { receiptNo: 1 } },
      { total: 500, training: true, order: { training: true, trainingNo: 1 } },
      { total: 250, order: { receiptNo: 2 } }, // a journal written before training mode: no field, a real sale
    ]);
    const results = await store.acceptMany(events);
    expect(results.every((r) => r.status === 'stored')).toBe(true);
    expect(await store.sales()).toEqual([{ storeId: 'S1', deviceId: 'K1', orders: 2, amount: 1250, trainingOrders: 1 }]);
    expect(await store.sales('S2')).toEqual([]);
  });

  it('reads the flag only as the boolean true', () => {
    expect(isTrainingPayload('{"training":true}')).toBe(true);
    expect(isTrainingPayload('{"order":{"training":true}}')).toBe(true);
    expect(isTrainingPayload('{"training":"yes"}')).toBe(false);
    expect(isTrainingPayload('{"total":1}')).toBe(false);
    expect(isTrainingPayload('not json')).toBe(false);
  });
});
