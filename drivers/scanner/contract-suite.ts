import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Device } from '../contract/device';
import type { BarcodeScanner, ScanData } from '../contract/scanner';

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

/** What the lifecycle rules need of a device (any device class). */
export type LifecycleDevice = Pick<Device, 'info' | 'status' | 'open' | 'claim' | 'enable' | 'disable' | 'release' | 'close' | 'checkHealth'>;

/** Lifecycle rules every device shares (drivers/contract/device.ts). */
export function lifecycleContract(make: () => Promise<{ device: LifecycleDevice; teardown(): Promise<void> }>): void {
  let h: { device: LifecycleDevice; teardown(): Promise<void> };
  beforeEach(async () => {
    h = await make();
  });
  afterEach(async () => {
    await h.device.close();
    await h.teardown();
  });

  it('walks closed → opened → claimed → enabled and back down; every call is idempotent in its target state', async () => {
    const d = h.device;
    expect(d.status().lifecycle).toBe('closed');
    await d.open();
    await d.open();
    expect(d.status()).toMatchObject({ lifecycle: 'opened', online: true });
    await d.claim();
    await d.claim();
    expect(d.status().lifecycle).toBe('claimed');
    await d.enable();
    await d.enable();
    expect(d.status().lifecycle).toBe('enabled');
    await d.disable();
    await d.disable();
    expect(d.status().lifecycle).toBe('claimed');
    await d.release();
    await d.release();
    expect(d.status().lifecycle).toBe('opened');
    await d.close();
    await d.close();
    expect(d.status().lifecycle).toBe('closed');
  });

  it('rejects out-of-order calls with DEVICE_STATE', async () => {
    const d = h.device;
    await expect(d.claim()).rejects.toMatchObject({ code: 'DEVICE_STATE' });
    await expect(d.enable()).rejects.toMatchObject({ code: 'DEVICE_STATE' });
    await d.open();
    await expect(d.enable()).rejects.toMatchObject({ code: 'DEVICE_STATE' });
    expect(d.status().lifecycle).toBe('opened');
  });

  it('release() of an enabled device and close() from any state always succeed', async () => {
    const d = h.device;
    await d.open();
    await d.claim();
    await d.enable();
    await d.release();
    expect(d.status().lifecycle).toBe('opened');
    await d.claim();
    await d.enable();
    await d.close();
    expect(d.status().lifecycle).toBe('closed');
    await d.open(); // and it can be used again
    await d.claim();
    expect(d.status().lifecycle).toBe('claimed');
  });

  it('identifies itself by serial number or path, never only VID:PID', () => {
    expect(h.device.info.id).toBeTruthy();
    expect(h.device.info.id).not.toMatch(/^[0-9a-f]{4}:[0-9a-f]{4}$/i);
  });

  it('checkHealth never throws: internal passes without a device, external fails until claimed', async () => {
    const d = h.device;
    expect(await d.checkHealth('internal')).toMatchObject({ level: 'internal', ok: true });
    const closed = await d.checkHealth('external');
    expect(closed).toMatchObject({ level: 'external', ok: false });
    expect(closed.reason).toBeTruthy();
    await d.open();
    await d.claim();
    expect(await d.checkHealth('external')).toMatchObject({ level: 'external', ok: true });
    expect(await d.checkHealth('interactive')).toMatchObject({ level: 'interactive', ok: false }); // no prompt given
  });
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
    lifecycleContract(async () => {
      const h = await make();
      return { device: h.scanner, teardown: () => h.teardown() };
    });

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
