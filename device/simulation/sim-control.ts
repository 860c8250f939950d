import type { LightState } from '../../drivers/contract';

/** What the simulators let a test, a demo or a trainer do to the lane's simulated devices. */
export interface SimControl {
  scanner?: {
    scan(code: string, opts?: { aim?: string }): Promise<void>;
    unplug(): Promise<void>;
    replug(): Promise<void>;
  };
  terminal?: {
    approve(): void;
    decline(resultCode?: number): void;
    timeout(): void;
    unplug(): Promise<void>;
    replug(): Promise<void>;
    /** The terminal's own record of what it charged (its journal), for "what happened to trace N?". */
    transactions(): { kind: string; traceNumber: number; amount: number; result: string; reversed?: boolean }[];
  };
  printer?: {
    paperOut(): void;
    paperNearEnd(): void;
    paperOk(): void;
    coverOpen(): void;
    coverClose(): void;
    unplug(): Promise<void>;
    replug(): Promise<void>;
    /** Decoded text of the last receipt (up to its cut), with QR/barcode payloads. */
    last(): { text: string; qr: string[]; barcodes: string[] } | null;
    receipts(): number;
  };
  display?: { lines(): string[]; unplug(): Promise<void>; replug(): Promise<void> };
  light?: { state(): LightState | null; unplug(): Promise<void>; replug(): Promise<void> };
}
