import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { isKioskError, type KioskErrorCode } from '../../../kernel/errors';
import type { DeviceStatus } from '../../../drivers/contract/device';
import type { PaymentTerminal, TerminalPrompt, TerminalResult } from '../../../drivers/contract/terminal';

/** What a scripted backend (the simulator) lets the suite decide; real hardware has none of it. */
export interface TerminalScript {
  approveNext(): void;
  declineNext(resultCode: number): void;
  /** The next payment waits (for a card, or forever) until aborted. */
  holdNext(): void;
  /** Trace number of the terminal's last journaled transaction. */
  lastTrace(): number | undefined;
}

export interface TerminalFixture {
  terminal: PaymentTerminal;
  script?: TerminalScript;
  cleanup(): Promise<void>;
}

export interface ContractSuiteOptions {
  /** Small amount (minor units) the suite authorizes on hardware; never approved without a card. Default 1. */
  amount?: number;
  /** Per-test timeout in ms. Default 15000. */
  timeoutMs?: number;
  /** The fixture provides a `script` (simulator): also run the approve/decline tests. */
  scripted?: boolean;
}

async function rejectionCode(p: Promise<unknown>): Promise<KioskErrorCode | 'resolved' | 'other'> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isKioskError(e) ? e.code : 'other';
  }
}

function nextPrompt(t: PaymentTerminal): Promise<TerminalPrompt> {
  return new Promise((resolve) => t.once('prompt', resolve));
}

function assertMasked(r: TerminalResult): void {
  if (r.maskedPan === undefined) return;
  expect(r.maskedPan).toMatch(/^[0-9*]+$/);
  expect([...r.maskedPan].filter((c) => c !== '*').length).toBeLessThanOrEqual(10);
}

/**
 * The PaymentTerminal contract (drivers/contract/terminal.ts + device.ts), runnable against any implementation:
 * the simulator over a pty pair, over TCP, or real hardware. Tests that need a scripted outcome (approve,
 * decline) run only when the fixture has a `script`; everything else needs no card and no person — a payment
 * that waits for a card is aborted.
 */
export function terminalContractSuite(name: string, makeTerminal: () => Promise<TerminalFixture>, opts: ContractSuiteOptions = {}): void {
  const amount = opts.amount ?? 1;
  const timeout = opts.timeoutMs ?? 15000;

  describe(`PaymentTerminal contract: ${name}`, () => {
    let fx: TerminalFixture;
    let t: PaymentTerminal;

    beforeEach(async () => {
      fx = await makeTerminal();
      t = fx.terminal;
    }, timeout);
    afterEach(async () => {
      await fx.cleanup();
    }, timeout);

    async function up(): Promise<void> {
      await t.open();
      await t.claim();
      await t.enable();
    }

    it(
      'identifies itself as a terminal and starts closed',
      () => {
        expect(t.info.deviceClass).toBe('terminal');
        expect(t.info.id).toBeTruthy();
        expect(t.status()).toMatchObject({ lifecycle: 'closed', online: false, faults: [] });
      },
      timeout,
    );

    it(
      'walks the lifecycle with status events; every call is idempotent in its target state',
      async () => {
        const seen: DeviceStatus[] = [];
        t.on('status', (s) => seen.push(s));
        await t.open();
        await t.open();
        await t.claim();
        await t.claim();
        await t.enable();
        await t.enable();
        expect(t.status()).toMatchObject({ lifecycle: 'enabled', online: true });
        await t.disable();
        await t.disable();
        await t.release();
        await t.release();
        await t.close();
        await t.close();
        expect(seen.map((s) => s.lifecycle)).toEqual(['opened', 'claimed', 'enabled', 'claimed', 'opened', 'closed']);
      },
      timeout,
    );

    it(
      'rejects out-of-order calls with DEVICE_STATE',
      async () => {
        expect(await rejectionCode(t.claim())).toBe('DEVICE_STATE');
        expect(await rejectionCode(t.enable())).toBe('DEVICE_STATE');
        expect(await rejectionCode(t.authorize(amount))).toBe('DEVICE_STATE');
        await t.open();
        expect(await rejectionCode(t.enable())).toBe('DEVICE_STATE');
        expect(await rejectionCode(t.statusEnquiry())).toBe('DEVICE_STATE');
        await t.claim();
        // money needs enabled
        expect(await rejectionCode(t.authorize(amount))).toBe('DEVICE_STATE');
        expect(await rejectionCode(t.refund(amount))).toBe('DEVICE_STATE');
        expect(await rejectionCode(t.endOfDay())).toBe('DEVICE_STATE');
      },
      timeout,
    );

    it(
      'checkHealth never throws: internal passes closed, external fails closed and passes enabled',
      async () => {
        expect(await t.checkHealth('internal')).toMatchObject({ level: 'internal', ok: true });
        const closed = await t.checkHealth('external');
        expect(closed).toMatchObject({ level: 'external', ok: false });
        await up();
        expect(await t.checkHealth('external')).toMatchObject({ level: 'external', ok: true });
        expect(await t.checkHealth('interactive', { prompt: async () => true })).toMatchObject({ level: 'interactive', ok: true });
        expect(await t.checkHealth('interactive', { prompt: async () => false })).toMatchObject({ level: 'interactive', ok: false });
      },
      timeout,
    );

    it(
      'register() works again while enabled; statusEnquiry() resolves a result',
      async () => {
        await up();
        await t.register();
        const r = await t.statusEnquiry();
        expect(typeof r.resultCode).toBe('number');
        expect(typeof r.approved).toBe('boolean');
        assertMasked(r);
      },
      timeout,
    );

    it(
      'one transaction at a time: a second call rejects DEVICE_BUSY; abort() ends the first as not approved',
      async () => {
        await up();
        fx.script?.holdNext();
        const prompt = nextPrompt(t);
        const first = t.authorize(amount);
        await prompt;
        expect(await rejectionCode(t.authorize(amount))).toBe('DEVICE_BUSY');
        expect(await rejectionCode(t.statusEnquiry())).toBe('DEVICE_BUSY');
        expect(t.status().faults).toContain('TERMINAL_BUSY');
        await t.abort();
        const r = await first;
        expect(r.approved).toBe(false);
        expect(r.resultCode).not.toBe(0);
        expect(r.text).toBeTruthy();
      },
      timeout,
    );

    it(
      'an AbortSignal aborts a running payment',
      async () => {
        await up();
        fx.script?.holdNext();
        const ac = new AbortController();
        const prompt = nextPrompt(t);
        const p = t.authorize(amount, { signal: ac.signal });
        await prompt;
        ac.abort();
        expect(await p).toMatchObject({ approved: false });
      },
      timeout,
    );

    it(
      'abort() with nothing running is a no-op',
      async () => {
        await up();
        await expect(t.abort()).resolves.toBeUndefined();
      },
      timeout,
    );

    it(
      'close() during a payment rejects it with DEVICE_OFFLINE',
      async () => {
        await up();
        fx.script?.holdNext();
        const prompt = nextPrompt(t);
        const code = rejectionCode(t.authorize(amount));
        await prompt;
        await t.close();
        expect(await code).toBe('DEVICE_OFFLINE');
        expect(t.status().lifecycle).toBe('closed');
      },
      timeout,
    );

    if (!opts.scripted) return;

    describe('scripted outcomes', () => {
      const script = (): TerminalScript => {
        if (!fx.script) throw new Error('a scripted suite needs a fixture with a script');
        return fx.script;
      };

      it(
        'approve: prompts, then an approved result with trace, receipt and a masked PAN; statusEnquiry finds it',
        async () => {
          await up();
          script().approveNext();
          const prompts: TerminalPrompt[] = [];
          t.on('prompt', (p) => prompts.push(p));
          const r = await t.authorize(1234);
          expect(r).toMatchObject({ approved: true, resultCode: 0, amount: 1234 });
          expect(r.traceNumber).toBe(script().lastTrace());
          expect(r.receiptNumber).toEqual(expect.any(Number));
          expect(r.cardType).toBeTruthy();
          assertMasked(r);
          expect(prompts.map((p) => p.code)).toContain('insert_card');
          const s = await t.statusEnquiry();
          expect(s).toMatchObject({ approved: true, traceNumber: r.traceNumber, amount: 1234 });
        },
        timeout,
      );

      it(
        'decline: resolves (does not reject) with approved false, the result code and a reason',
        async () => {
          await up();
          script().declineNext(0x05);
          const r = await t.authorize(800);
          expect(r).toMatchObject({ approved: false, resultCode: 0x05 });
          expect(r.text).toMatch(/declined/);
        },
        timeout,
      );
    });
  });
}
