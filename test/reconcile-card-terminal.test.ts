/**
 * Issue 15, ZVT end-of-day reconciled end to end: the independent ZVT terminal simulator (simulators/terminal, over
 * TCP loopback) takes card payments through the real ZvtTerminal driver; the kiosk journals each approved one with
 * the card name the driver read (runtime/payments/card-terminal.ts terminalReference: the name, else
 * "ZVT card type N"); the driver's end-of-day brings the terminal's own counts and totals per card group (BMP 60),
 * journaled as `terminal_end_of_day`; HQ ingests the journal and `reconcileCard` compares per scheme. A clean day
 * matches every scheme; a day with one discrepancy of each kind injected (a payment the journal lost, a journaled
 * payment the terminal never took, a scheme whose amount differs) finds each exactly once.
 */
import { IngestStore } from '../hq/ingest/store';
import { DEFAULT_FEE_BPS } from '../config/fees';
import { reconcileCard } from '../hq/reconcile/reconcile';
import { feeOf } from '../hq/reconcile/amounts';
import type { TerminalResult } from '../drivers/contract';
import { reconcileKiosk, type ReconcileKiosk } from './support/reconcile-kiosk';
import { simulatedTerminal, type SimulatedTerminal } from './support/simulated-terminal';
import { tmpDir } from './support/sync-fixtures';
import * as path from 'node:path';
import * as fs from 'node:fs';

/** 2026-12-05 09:00 Beijing. */
const START = Date.UTC(2026, 11, 5, 1, 0, 0);

const VISA = { cardType: 10, cardName: 'VISA', maskedPan: '4111********1111' };
const MASTERCARD = { cardType: 6, cardName: 'Mastercard', maskedPan: '5100********0004' };
const MAESTRO = { cardType: 46, cardName: 'Maestro', maskedPan: '6759********0005' };
const AMEX = { cardType: 8, cardName: 'American Express', maskedPan: '3714*******0005' };
/** A card the terminal names only by its type number (no BMP 8B): the kiosk journals "ZVT card type 12". */
const DINERS_UNNAMED = { cardType: 12, cardName: '', maskedPan: '3056*******5904' };

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Lane {
  kiosk: ReconcileKiosk;
  t: SimulatedTerminal;
  /** Pays `amount` at the terminal with `card` (the default girocard when absent); `journal` false: the kiosk loses it. */
  pay(amount: number, card?: Partial<typeof VISA>, journal?: boolean): Promise<TerminalResult>;
  /** The terminal's end-of-day, journaled as the runtime does (runtime/payments/terminal-eod.ts). */
  endOfDay(): Promise<TerminalResult>;
}

async function lane(deviceId: string): Promise<Lane> {
  const kiosk = await reconcileKiosk('S1', deviceId, START);
  const t = await simulatedTerminal('tcp');
  await t.terminal.open();
  await t.terminal.claim();
  await t.terminal.enable();
  await until(() => t.sim.idle);
  return {
    kiosk,
    t,
    async pay(amount, card, journal = true) {
      if (card) t.sim.approveNext({ card });
      const r = await t.terminal.authorize(amount);
      expect(r.approved).toBe(true);
      if (journal) await kiosk.cardSale(amount, r.cardType as string);
      return r;
    },
    async endOfDay() {
      const r = await t.terminal.endOfDay();
      expect(r.approved).toBe(true);
      expect(r.totalsError).toBeUndefined();
      await kiosk.endOfDay({ amount: r.amount ?? null, traceNumber: r.traceNumber ?? null, captured: 0, terminalId: r.terminalId ?? null, ...(r.totals ? { totals: r.totals } : {}) });
      return r;
    },
  };
}

async function close(l: Lane | undefined): Promise<void> {
  await l?.t.cleanup();
  await l?.kiosk.close();
}

describe('card end-of-day from the ZVT terminal simulator, reconciled at HQ', () => {
  let l: Lane | undefined;
  let dir: string;
  beforeEach(() => {
    dir = tmpDir('reconcile-card-terminal-');
  });
  afterEach(async () => {
    await close(l);
    l = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a clean day: every scheme the terminal counted matches the journal (named and unnamed cards, Maestro), fees per scheme', async () => {
    l = await lane('K1');
    await l.pay(1000); // girocard
    await l.pay(2550, VISA);
    await l.pay(333, MASTERCARD);
    await l.pay(1200, MAESTRO);
    await l.pay(4000, AMEX);
    const unnamed = await l.pay(777, DINERS_UNNAMED);
    expect(unnamed.cardType).toBe('ZVT card type 12');
    const eod = await l.endOfDay();
    expect(eod.amount).toBe(1000 + 2550 + 333 + 1200 + 4000 + 777);
    const store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    try {
      await store.acceptMany(await l.kiosk.events());
      const r = await reconcileCard(store.db, { store: 'S1', day: '2026-12-05', timeZone: 'Asia/Shanghai', rates: DEFAULT_FEE_BPS }, { by: 'test', now: START + 86_400_000 });
      expect(r.items).toEqual([]);
      expect(r.totals.schemes).toMatchObject({
        girocard: { count: 1, amount: 1000, terminalCount: 1, terminalAmount: 1000, expectedFee: feeOf(1000, DEFAULT_FEE_BPS.girocard) },
        visa: { count: 1, amount: 2550, terminalCount: 1, terminalAmount: 2550, expectedFee: feeOf(2550, DEFAULT_FEE_BPS.visa) },
        mastercard: { count: 1, amount: 333, terminalCount: 1, terminalAmount: 333 },
        amex: { count: 1, amount: 4000, terminalCount: 1, terminalAmount: 4000 },
        diners: { count: 1, amount: 777, terminalCount: 1, terminalAmount: 777 },
        other: { count: 1, amount: 1200, terminalCount: 1, terminalAmount: 1200 }, // Maestro (type 46): the terminal's "remaining" group
      });
      expect(r.totals.matched).toBe(6);
      expect(r.totals.journal).toMatchObject({ payments: 6, paymentAmount: eod.amount });
      expect(r.totals.channel).toMatchObject({ payments: 6, paymentAmount: eod.amount });
    } finally {
      await store.close();
    }
  }, 60_000);

  it('one discrepancy of each kind injected: each found exactly once, with scheme, counts and amounts', async () => {
    l = await lane('K2');
    await l.pay(1000); // girocard: matched
    await l.pay(2550, VISA);
    await l.pay(450, VISA, false); // the journal lost a Visa payment: Visa 2 / 3000 at the terminal, 1 / 2550 ours
    await l.pay(4000, AMEX, false); // Amex only at the terminal: money taken with no sale
    await l.kiosk.cardSale(700, 'JCB'); // journaled, the terminal never took it
    const eod = await l.endOfDay();
    expect(eod.totals?.find((x) => x.scheme === 'visa')).toEqual({ scheme: 'visa', count: 2, amount: 3000 });
    const store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    try {
      await store.acceptMany(await l.kiosk.events());
      const r = await reconcileCard(store.db, { store: 'S1', day: '2026-12-05', timeZone: 'Asia/Shanghai', rates: DEFAULT_FEE_BPS }, { by: 'test', now: START + 86_400_000 });
      expect(r.items.map((i) => i.kind).sort()).toEqual(['amount_mismatch', 'channel_only', 'journal_only']);
      const by = (k: string) => r.items.find((i) => i.kind === k);
      expect(by('amount_mismatch')).toMatchObject({ scheme: 'visa', deviceId: 'K2', expectedCount: 1, expectedAmount: 2550, actualCount: 2, actualAmount: 3000 });
      expect(by('channel_only')).toMatchObject({ scheme: 'amex', deviceId: 'K2', actualCount: 1, actualAmount: 4000 });
      expect(by('journal_only')).toMatchObject({ scheme: 'jcb', deviceId: 'K2', expectedCount: 1, expectedAmount: 700, expectedFee: feeOf(700, DEFAULT_FEE_BPS.jcb) });
      expect(r.totals.matched).toBe(1);
    } finally {
      await store.close();
    }
  }, 60_000);
});
