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
  display?: { lines(): string[] };
  light?: { state(): LightState | null };
}
