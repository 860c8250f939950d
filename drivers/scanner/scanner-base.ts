import type { HealthLevel } from '../contract/device';
import type { BarcodeScanner, ScanData, ScannerEvents } from '../contract/scanner';
import { KioskError } from '../../kernel/errors';
import { aimOf } from './read-text';
import { ConnectedDevice, type ConnectionOptions, type HealthOptions, type HealthOutcome } from '../common/connected-device';

export interface ScannerHealthOptions {
  /** How long the interactive check waits for the test scan. Default 30 000 ms. */
  healthTimeoutMs?: number;
  /** When set, the interactive check passes only for this code (AIM prefix ignored). */
  testBarcode?: string;
}

export type ScannerBaseOptions = ConnectionOptions & ScannerHealthOptions;

/**
 * What both scanner drivers share: `data` only while enabled, and the health checks.
 * - internal: the decoder's self-test on known bytes (no device involved);
 * - external: the transport is open (serial: port open; HID: device listed and open);
 * - interactive: asks a person to scan the test barcode and waits for the read (the read is consumed by the check,
 *   it is not delivered as `data`), failing after `healthTimeoutMs` or when the person cancels (prompt → false).
 */
export abstract class ScannerBase extends ConnectedDevice<ScannerEvents> implements BarcodeScanner {
  private readonly healthTimeoutMs: number;
  private readonly testBarcode: string | undefined;
  private healthWaiter: ((raw: string) => void) | null = null;

  constructor(opts: ScannerBaseOptions) {
    super(opts);
    this.healthTimeoutMs = opts.healthTimeoutMs ?? 30_000;
    this.testBarcode = opts.testBarcode;
  }

  /** Runs the decoder on known bytes; returns a one-line reason, throws when wrong. */
  protected abstract selfTest(): string;
  /** Checks the transport; returns a one-line reason, throws when not OK. */
  protected abstract externalCheck(): Promise<string>;

  /** A whole read arrived. */
  protected deliver(raw: string, at: number, source: ScanData['source']): void {
    if (this.healthWaiter) {
      this.healthWaiter(raw);
      return;
    }
    if (this.lifecycle === 'enabled') this.emitEvent('data', { raw, at, source } satisfies ScanData);
  }

  protected async health(level: HealthLevel, opts: HealthOptions): Promise<HealthOutcome> {
    if (level === 'internal') return { ok: true, reason: this.selfTest() };
    if (level === 'external') {
      if (this.lifecycle === 'closed' || this.lifecycle === 'opened') {
        throw new KioskError('DEVICE_STATE', `${this.info.id}: not claimed, transport not open`);
      }
      if (!this.isConnected) throw new KioskError('DEVICE_OFFLINE', `${this.info.id}: offline (${this.status().detail ?? 'connection lost'})`);
      return { ok: true, reason: await this.externalCheck() };
    }
    return this.interactive(opts);
  }

  private async interactive(opts: HealthOptions): Promise<HealthOutcome> {
    if (!opts.prompt) return { ok: false, reason: 'the interactive check needs a prompt to ask a person to scan' };
    if (this.lifecycle === 'closed' || this.lifecycle === 'opened') {
      return { ok: false, reason: 'claim the scanner before the interactive check', code: 'DEVICE_STATE' };
    }
    if (!this.isConnected) return { ok: false, reason: 'scanner offline', code: 'DEVICE_OFFLINE' };
    if (this.healthWaiter) return { ok: false, reason: 'another interactive check is running', code: 'DEVICE_BUSY' };
    const expected = this.testBarcode;
    const text = expected ? `Scan the test barcode (${expected}) now` : 'Scan the test barcode now';
    return new Promise<HealthOutcome>((resolve) => {
      let done = false;
      const finish = (outcome: HealthOutcome) => {
        if (done) return;
        done = true;
        this.healthWaiter = null;
        this.clock.clearTimeout(timer);
        resolve(outcome);
      };
      const timer = this.clock.setTimeout(
        () => finish({ ok: false, reason: `no scan within ${this.healthTimeoutMs} ms`, code: 'TIMEOUT' }),
        this.healthTimeoutMs,
      );
      this.healthWaiter = (raw) => {
        const data = aimOf(raw) ? raw.slice(3) : raw;
        if (expected === undefined || raw === expected || data === expected) finish({ ok: true, reason: `test scan read: ${JSON.stringify(raw)}` });
        else finish({ ok: false, reason: `read ${JSON.stringify(raw)}, expected ${JSON.stringify(expected)}`, code: 'PROTOCOL' });
      };
      opts.prompt!(text).then(
        (confirmed) => {
          if (!confirmed) finish({ ok: false, reason: 'cancelled at the prompt' });
        },
        (e: unknown) => {
          finish({ ok: false, reason: `prompt failed: ${e instanceof Error ? e.message : String(e)}` });
        },
      );
    });
  }
}
