/**
 * The kiosk's recall receiver (runtime/recalls/receiver.ts) on a real SQLite file: a list signed by HQ for this store
 * replaces the one in force in one transaction; a bad signature, another store's list, an older or equal version, an
 * invalid body or an unknown key change nothing and are reported; the same retained message again is a repeat.
 */
import { engineFixture, type Fixture } from '../../test/support/engine-fixture';
import { memoryTrust, signed, T0, testKey } from '../../test/support/trust';
import type { RecallList } from '../../protocol/recalls/recall-list';
import { recallLookup } from './lookup';
import { RecallsReceiver } from './receiver';
import { recallListInForce } from './recall-store';
import type { RecallsReported } from '../../protocol/recalls/recall-list';

const hq = testKey();
const stranger = testKey();
const ME = { store: 's1', device: 'lane-1' };
const G1 = '09506000134352';
const G2 = '04006381333931';

let f: Fixture;
let receiver: RecallsReceiver;
const reports: RecallsReported[] = [];
beforeEach(async () => {
  f = await engineFixture();
  receiver = new RecallsReceiver({ db: f.db, trust: memoryTrust(hq), clock: f.clock, identity: ME, onReport: (r) => reports.push(r) });
  reports.length = 0;
});
afterEach(() => f.close());

const list = (entries: RecallList['entries'], reason = 'Salmonella'): RecallList => ({
  v: 1,
  recalls: [...new Set(entries.map((e) => e[3]))].sort().map((id) => ({ id, reason, since: T0 })),
  entries,
});
const wire = (version: number, body: unknown, o: { key?: typeof hq; store?: string } = {}) =>
  Buffer.from(signed(o.key ?? hq, { kind: 'recalls', scope: { kind: 'store', store: o.store ?? ME.store }, version, body }, T0));

describe('the recall receiver', () => {
  it('applies a list for its store, replaces it with a newer one, and the lane lookup follows', async () => {
    expect(await receiver.offer(wire(3, list([[G1, null, null, 'R1'], [G2, 'L1', null, 'R2']])))).toMatchObject({ status: 'applied', version: 3, entries: 2 });
    expect(await recallListInForce(f.db.read)).toMatchObject({ version: 3, recalls: 2, entries: 2 });
    const lookup = recallLookup(f.db);
    expect(await lookup.check({ gtin14: G1 })).toMatchObject({ status: 'recalled', recall: { recallId: 'R1', reason: 'Salmonella' } });
    expect(await lookup.check({ gtin14: G2, lot: 'L1' })).toMatchObject({ status: 'recalled', recall: { recallId: 'R2', lot: 'L1' } });
    expect(await lookup.check({ gtin14: G2 })).toMatchObject({ status: 'check' });

    // the recall of G1 ended: the newer list without it lets G1 through
    expect(await receiver.offer(wire(4, list([[G2, 'L1', null, 'R2']])))).toMatchObject({ status: 'applied', version: 4, entries: 1 });
    expect(await lookup.check({ gtin14: G1 })).toEqual({ status: 'clear' });
    expect(await recallListInForce(f.db.read)).toMatchObject({ version: 4, recalls: 1, entries: 1 });
  });

  it('the same retained message again is a repeat: nothing happens, nothing is reported', async () => {
    const m = wire(3, list([[G1, null, null, 'R1']]));
    expect(await receiver.offer(m)).toMatchObject({ status: 'applied' });
    expect(await receiver.offer(m)).toBeNull();
    expect(reports).toHaveLength(1);
  });

  it.each([
    ['a bad signature', () => {
      const m = JSON.parse(wire(5, list([])).toString()) as { sig: string };
      m.sig = Buffer.alloc(64, 1).toString('base64');
      return Buffer.from(JSON.stringify(m));
    }, 'bad_signature'],
    ["another store's list", () => wire(5, list([]), { store: 's2' }), 'wrong_scope'],
    ['an older version (a rollback or replay)', () => wire(2, list([])), 'not_newer'],
    ['the same version again with other content', () => wire(3, list([])), 'not_newer'],
    ['an unknown key', () => wire(5, list([]), { key: stranger }), 'unknown_key'],
    ['an invalid body (bad check digit)', () => wire(5, list([['09506000134353', null, null, 'R1']])), 'invalid_body'],
    ['an invalid body (lot and serial)', () => wire(5, list([[G1, 'L1', 'S1', 'R1']])), 'invalid_body'],
    ['a members envelope', () => Buffer.from(signed(hq, { kind: 'members', scope: { kind: 'store', store: ME.store }, version: 5, body: list([]) }, T0)), 'wrong_kind'],
    ['not JSON', () => Buffer.from('{"kind": "recalls", '), 'malformed'],
  ])('%s is refused, reported, and the list in force stays', async (_what, make, reason) => {
    await receiver.offer(wire(3, list([[G1, null, null, 'R1']])));
    const r = await receiver.offer(make());
    expect(r).toMatchObject({ status: 'rejected', reason });
    expect(reports.at(-1)).toEqual(r);
    expect(await recallListInForce(f.db.read)).toMatchObject({ version: 3, entries: 1 });
    expect(await recallLookup(f.db).check({ gtin14: G1 })).toMatchObject({ status: 'recalled' });
  });
});
