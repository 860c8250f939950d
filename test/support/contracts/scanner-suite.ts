import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { BarcodeScanner, ScanData } from '../../../drivers/contract/scanner';

/**
 * The behaviour every `BarcodeScanner` must show, as a jest suite to run against each driver + transport: the
 * simulators (real pty pair, injected HID transport) and, when the environment names one, a real scanner.
 *
 * Without `trigger` (real hardware) the read tests ask a person, on the console, to scan `humanCode`.
 */
export interface ScannerHarness {
  scanner: BarcodeScanner;
  /** Makes the device read `code` (AIM prefix included when the code starts with one). Simulators only. */
  trigger?: (code: string) => Promise<void>;
  /** Resolves once the driver has taken in everything triggered so far (default: waits `quietMs`). */
  settle?: () => Promise<void>;
  teardown(): Promise<void>;
}

export interface ScannerSuiteOptions {
  /** Real hardware: the code a person scans when asked (checked when given). */
  humanCode?: string;
  /** Longest wait for one read. Default 3000 ms with a trigger, 60 000 ms for a person. */
  readTimeoutMs?: number;
  /** How long without a read counts as "nothing was delivered". Default 150 ms. */
  quietMs?: number;
}

/** Resolves with the next `data` event, or rejects after `ms`. */
export function nextRead(scanner: BarcodeScanner, ms: number): Promise<ScanData> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      scanner.off('data', on);
      reject(new Error(`no read within ${ms} ms`));
    }, ms);
    const on = (d: ScanData) => {
      clearTimeout(timer);
      scanner.off('data', on);
      resolve(d);
    };
    scanner.on('data', on);
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function scannerContractSuite(name: string, make: () => Promise<ScannerHarness>, opts: ScannerSuiteOptions = {}): void {
  describe(`BarcodeScanner contract: ${name}`, () => {
    // the lifecycle rules (order of calls, going down, health levels, unplug/replug) are the shared lifecycle suite's
    // (lifecycle-suite.ts, run by drivers/scanner/lifecycle.test.ts); this suite keeps what is a scanner's own
    describe('reads', () => {
      let h: ScannerHarness;
      let reads: ScanData[];
      const quiet = opts.quietMs ?? 150;
      const settle = () => (h.settle ? h.settle() : delay(quiet));
      beforeEach(async () => {
        h = await make();
        reads = [];
        h.scanner.on('data', (d) => reads.push(d));
        h.scanner.on('error', () => undefined);
        await h.scanner.open();
        await h.scanner.claim();
      });
      afterEach(async () => {
        await h.scanner.close();
        await h.teardown();
      });

      it('delivers reads only while enabled, whole, AIM prefix kept, stamped with a time and a source', async () => {
        const { scanner, trigger } = h;
        if (!trigger) {
          await scanner.enable();
          process.stdout.write(`\n>>> scan ${opts.humanCode ?? 'any barcode'} on the scanner now\n`);
          const read = await nextRead(scanner, opts.readTimeoutMs ?? 60_000);
          if (opts.humanCode !== undefined) expect([read.raw, read.raw.replace(/^\][\x21-\x7e]{2}/, '')]).toContain(opts.humanCode);
          expect(['serial', 'hid-pos', 'hid-keyboard']).toContain(read.source);
          return;
        }
        const timeout = opts.readTimeoutMs ?? 3000;
        await trigger('0000000000017'); // claimed, not enabled: dropped
        await settle();
        await scanner.enable();
        const first = nextRead(scanner, timeout);
        await trigger(']E04006381333931');
        const read = await first;
        expect(read.raw).toBe(']E04006381333931');
        expect(['serial', 'hid-pos', 'hid-keyboard']).toContain(read.source);
        expect(Number.isFinite(read.at)).toBe(true);
        await scanner.disable();
        await trigger('0000000000024'); // disabled again: dropped
        await settle();
        await scanner.enable();
        const second = nextRead(scanner, timeout);
        await trigger('96385074');
        expect((await second).raw).toBe('96385074');
        await delay(quiet);
        expect(reads.map((r) => r.raw)).toEqual([']E04006381333931', '96385074']);
      });

      it('delivers a burst of reads whole, in order, once each', async () => {
        if (!h.trigger) return expect(h.scanner.status().lifecycle).toBe('claimed');
        await h.scanner.enable();
        const codes = Array.from({ length: 20 }, (_, i) => `]C1${String(4006381333931 + i * 7919)}`);
        for (const c of codes) await h.trigger(c);
        const deadline = Date.now() + (opts.readTimeoutMs ?? 3000);
        while (reads.length < codes.length && Date.now() < deadline) await delay(10);
        await delay(quiet);
        expect(reads.map((r) => r.raw)).toEqual(codes);
      });

      it('interactive health check: asks for the test scan, consumes it (no data event), passes', async () => {
        const { scanner, trigger } = h;
        await scanner.enable();
        const prompts: string[] = [];
        const result = await scanner.checkHealth('interactive', {
          prompt: async (text) => {
            prompts.push(text);
            if (trigger) await trigger('4006381333931');
            else process.stdout.write(`\n>>> ${text}\n`);
            return true;
          },
        });
        expect(result).toMatchObject({ level: 'interactive', ok: true });
        expect(prompts[0]).toMatch(/scan the test barcode/i);
        await delay(quiet);
        expect(reads).toEqual([]);
      });

      it('interactive health check: a cancelled prompt fails without throwing', async () => {
        const result = await h.scanner.checkHealth('interactive', { prompt: async () => false });
        expect(result).toMatchObject({ level: 'interactive', ok: false });
      });

      it('close() while enabled ends delivery', async () => {
        await h.scanner.enable();
        await h.scanner.close();
        expect(h.scanner.status().lifecycle).toBe('closed');
        if (h.trigger) {
          await h.trigger('4006381333931').catch(() => undefined);
          await delay(quiet);
          expect(reads).toEqual([]);
        }
        const health = await h.scanner.checkHealth('external');
        expect(health.ok).toBe(false);
        expect(health.reason).toEqual(expect.any(String));
      });
    });
  });
}
