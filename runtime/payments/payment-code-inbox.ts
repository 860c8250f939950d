import { KioskError } from '../../kernel/errors';

/**
 * Wallet payment codes read by the lane scanner, handed to whoever is waiting for one (the QR provider's
 * shopper-presented flow). A code read while nobody waits is dropped: a payment code is a one-time bearer
 * credential and must not be kept around.
 */
export interface PaymentCode {
  /** The wallet the barcode rules recognised by prefix and length (`alipay`, `wechat_pay`, `unionpay`, …). */
  channel: string;
  code: string;
}

export class PaymentCodeInbox {
  private waiter: { resolve: (code: PaymentCode) => void; reject: (e: Error) => void } | null = null;

  /** A code the scanner read; true if someone was waiting for it. */
  offer(code: PaymentCode): boolean {
    const w = this.waiter;
    if (!w) return false;
    this.waiter = null;
    w.resolve(code);
    return true;
  }

  /** Waits for the next code; one waiter at a time. */
  next(signal: AbortSignal): Promise<PaymentCode> {
    if (this.waiter) return Promise.reject(new KioskError('DEVICE_BUSY', 'already waiting for a payment code'));
    return new Promise<PaymentCode>((resolve, reject) => {
      const onAbort = () => {
        this.waiter = null;
        reject(new KioskError('TIMEOUT', 'no payment code was presented'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        resolve: (c) => {
          signal.removeEventListener('abort', onAbort);
          resolve(c);
        },
        reject,
      };
    });
  }

  get waiting(): boolean {
    return this.waiter !== null;
  }
}
