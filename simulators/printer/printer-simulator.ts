import { SystemClock, type Clock } from '../../kernel/clock';
import { EscPosDecoder, type DecodedReceipt, type DecoderWarning } from './escpos-decoder';
import { BulkInEndpoint, SimUsbLink, type SimUsbBulkLink, type SimUsbIdentity, type UsbPrinterSide } from './simulated-usb-link';

/** What the simulated printer is like right now. */
export interface PrinterSimState {
  /** Powered and attached; a disconnected printer takes no bytes and answers nothing. */
  connected: boolean;
  /** Answers DLE EOT (a hung printer keeps taking bytes but does not answer). */
  responsive: boolean;
  paperNearEnd: boolean;
  paperOut: boolean;
  coverOpen: boolean;
  error: 'autocutter' | 'unrecoverable' | null;
  /** Drawer kick connector pin 3 high. */
  drawerOpen: boolean;
  /** Bytes received but not printed yet (printing stops while paper is out, the cover open or in error). */
  heldBytes: number;
}

export interface PrinterSimulatorOptions {
  /** Used for USB bulk IN read timeouts; default the system clock. */
  clock?: Clock;
  /** USB identity the simulated device reports. */
  serialNumber?: string;
  usbPath?: string;
  /** USB: bulk IN reads that come back empty before each reply (USB printers do this), default 0. */
  emptyReadsBeforeReply?: number;
}

/**
 * A byte-level ESC/POS receipt printer.
 *
 * It takes the byte stream (from a pty via `SerialPrinterSimulator`, or through `usbLink()` — an in-memory
 * `UsbBulkLink` the USB driver uses in place of libusb), executes real-time commands on reception as the
 * firmware does (`DLE EOT n` is answered from its state wherever it appears in the stream), and "prints" the
 * rest through an `EscPosDecoder`: `receipts()` / `last()` are what came out on paper. While the paper is out,
 * the cover open or the cutter jammed, received bytes are held and print once the fault is cleared — as a real
 * printer's receive buffer does.
 *
 * Control surface: `paperNearEnd()`, `paperOut()`, `paperOk()`, `coverOpen()`, `coverClose()`, `cutterError()`,
 * `clearError()`, `disconnect()`/`reconnect()` (power / USB cable), `unresponsive()`, `flap()` (answer every
 * other poll), `garble()` (replace status replies), `emptyReads()`, `dropAfter()` (the cable goes after N more
 * data bytes), `paperRunsOutAfter()` (the roll ends after N more printed bytes, the rest is held), `powerCycle()`
 * (switched off and on: held bytes are lost, a receipt in progress stays a torn piece), and `onStatus()` for every
 * state change.
 */
export class PrinterSimulator implements UsbPrinterSide {
  readonly decoder = new EscPosDecoder();
  /** Data bytes received (real-time commands not counted). */
  receivedDataBytes = 0;
  /** DLE EOT queries received (answered or not). */
  statusQueries = 0;
  /** Held data bytes lost by `powerCycle()` (never printed). */
  discardedDataBytes = 0;

  private readonly opts: PrinterSimulatorOptions;
  private st: Omit<PrinterSimState, 'heldBytes'> = {
    connected: true,
    responsive: true,
    paperNearEnd: false,
    paperOut: false,
    coverOpen: false,
    error: null,
    drawerOpen: false,
  };
  private held: Uint8Array[] = [];
  /** Bytes of a possible DLE EOT n split across chunks. */
  private rt: number[] = [];
  private flapping = false;
  private silentPhase = false;
  private replyHook: ((n: number, reply: number) => number[] | null) | null = null;
  private dropBudget: number | null = null;
  private runoutBudget: number | null = null;
  private readonly statusListeners = new Set<(s: PrinterSimState) => void>();
  private readonly replyListeners = new Set<(b: Uint8Array) => void>();
  private readonly dataListeners = new Set<(b: Uint8Array) => void>();

  // USB side
  /** Bumped by disconnect(): handles opened before are dead. */
  generation = 0;
  usbClaimedBy: object | null = null;
  private usbUsed = false;
  readonly bulkIn: BulkInEndpoint;

  constructor(opts: PrinterSimulatorOptions = {}) {
    this.opts = opts;
    this.bulkIn = new BulkInEndpoint(opts.clock ?? new SystemClock(), opts.emptyReadsBeforeReply ?? 0);
  }

  // ---- control surface ----

  paperNearEnd(on = true): void {
    this.set({ paperNearEnd: on });
  }
  paperOut(): void {
    this.set({ paperOut: true, paperNearEnd: true });
  }
  /** A new roll: paper out and near end clear, held data prints. */
  paperOk(): void {
    this.set({ paperOut: false, paperNearEnd: false });
  }
  coverOpen(): void {
    this.set({ coverOpen: true });
  }
  coverClose(): void {
    this.set({ coverOpen: false });
  }
  cutterError(): void {
    this.set({ error: 'autocutter' });
  }
  clearError(): void {
    this.set({ error: null });
  }
  drawer(open: boolean): void {
    this.set({ drawerOpen: open });
  }
  /** Power off / USB cable out: takes nothing, answers nothing, USB handles die. */
  disconnect(): void {
    if (!this.st.connected) return;
    this.generation++;
    this.usbClaimedBy = null;
    this.rt = [];
    this.set({ connected: false });
    this.bulkIn.reset();
  }
  reconnect(): void {
    this.set({ connected: true });
  }
  /** A hung printer: keeps taking bytes, answers no status query. */
  unresponsive(on = true): void {
    this.set({ responsive: !on });
  }
  /** While on, every DLE EOT 1 (the start of a status poll) toggles between answering and silence. */
  flap(on = true): void {
    this.flapping = on;
    this.silentPhase = false;
  }
  /** Replaces each status reply: return the bytes to send instead, or null to send nothing. */
  garble(hook: ((n: number, reply: number) => number[] | null) | null): void {
    this.replyHook = hook;
  }
  /** USB: bulk IN reads that return empty before each reply. */
  emptyReads(k: number): void {
    this.bulkIn.emptyBeforeReply = k;
  }
  /** The cable goes after `n` more data bytes: the rest of the stream is lost and the printer disconnects. */
  dropAfter(n: number): void {
    this.dropBudget = n;
  }
  /** The roll ends after `n` more data bytes reach the paper: those print, then paper out — the rest is held. */
  paperRunsOutAfter(n: number): void {
    this.runoutBudget = Math.max(0, n);
  }
  /** Switched off and on again (as staff do to change a roll): the receive buffer, held bytes included, is lost. */
  powerCycle(): void {
    this.discardedDataBytes += this.held.reduce((n, b) => n + b.length, 0);
    this.held = [];
    this.rt = [];
    this.runoutBudget = null;
    this.decoder.tear();
    this.set({ error: null });
  }

  onStatus(listener: (s: PrinterSimState) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }
  /** Data bytes as they are accepted (after real-time commands are taken out). */
  onData(listener: (b: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }
  /** Bytes the printer sends back (status replies); the serial adapter writes them to the port. */
  onReply(listener: (b: Uint8Array) => void): () => void {
    this.replyListeners.add(listener);
    return () => this.replyListeners.delete(listener);
  }

  state(): PrinterSimState {
    return { ...this.st, heldBytes: this.held.reduce((n, b) => n + b.length, 0) };
  }

  get connected(): boolean {
    return this.st.connected;
  }

  // ---- what came out ----

  receipts(): DecodedReceipt[] {
    return this.decoder.receipts();
  }
  lastReceipt(): DecodedReceipt | undefined {
    return this.decoder.lastReceipt();
  }
  last(): string | undefined {
    return this.decoder.last();
  }
  get warnings(): readonly DecoderWarning[] {
    return this.decoder.warnings;
  }

  // ---- the byte interface ----

  /** Bytes from the host. */
  receive(bytes: Uint8Array): void {
    if (!this.st.connected) return;
    const data: number[] = [];
    for (const b of bytes) {
      if (!this.st.connected) break;
      this.realtime(b, data);
      if (this.dropBudget !== null && data.length >= this.dropBudget) {
        this.accept(Uint8Array.from(data));
        data.length = 0;
        this.dropBudget = null;
        this.disconnect();
        break;
      }
    }
    if (this.dropBudget !== null) this.dropBudget -= data.length;
    if (data.length) this.accept(Uint8Array.from(data));
  }

  private realtime(b: number, data: number[]): void {
    const rt = this.rt;
    if (rt.length === 0) {
      if (b === 0x10) rt.push(b);
      else data.push(b);
    } else if (rt.length === 1) {
      if (b === 0x04) rt.push(b);
      else {
        this.rt = [];
        data.push(0x10);
        this.realtime(b, data);
      }
    } else {
      this.rt = [];
      if (b >= 1 && b <= 4) this.answer(b);
      else {
        data.push(0x10, 0x04);
        this.realtime(b, data);
      }
    }
  }

  private accept(data: Uint8Array): void {
    if (data.length === 0) return;
    this.receivedDataBytes += data.length;
    for (const l of [...this.dataListeners]) l(data);
    if (this.canPrint() && this.runoutBudget !== null && data.length >= this.runoutBudget) {
      const printed = data.subarray(0, this.runoutBudget);
      this.runoutBudget = null;
      if (printed.length) this.decoder.push(printed);
      this.set({ paperOut: true, paperNearEnd: true });
      data = data.subarray(printed.length);
      if (data.length === 0) return;
    } else if (this.canPrint() && this.runoutBudget !== null) this.runoutBudget -= data.length;
    if (this.canPrint()) this.decoder.push(data);
    else this.held.push(data);
  }

  private canPrint(): boolean {
    return !this.st.paperOut && !this.st.coverOpen && this.st.error === null;
  }

  /** The reply byte to DLE EOT n for the current state. */
  statusByte(n: number): number {
    const s = this.st;
    const offline = s.paperOut || s.coverOpen || s.error !== null;
    let b = 0x12;
    if (n === 1) b |= (s.drawerOpen ? 0x04 : 0) | (offline ? 0x08 : 0);
    if (n === 2) b |= (s.coverOpen ? 0x04 : 0) | (s.paperOut ? 0x20 : 0) | (s.error ? 0x40 : 0);
    if (n === 3) b |= (s.error === 'autocutter' ? 0x08 : 0) | (s.error === 'unrecoverable' ? 0x20 : 0);
    if (n === 4) b |= (s.paperNearEnd || s.paperOut ? 0x0c : 0) | (s.paperOut ? 0x60 : 0);
    return b;
  }

  private answer(n: number): void {
    this.statusQueries++;
    if (this.flapping && n === 1) this.silentPhase = !this.silentPhase;
    if (!this.st.responsive || (this.flapping && this.silentPhase)) return;
    const byte = this.statusByte(n);
    const reply = this.replyHook ? this.replyHook(n, byte) : [byte];
    if (!reply || reply.length === 0) return;
    const bytes = Uint8Array.from(reply);
    for (const l of [...this.replyListeners]) l(bytes);
    if (this.usbUsed) this.bulkIn.push(bytes);
  }

  private set(patch: Partial<Omit<PrinterSimState, 'heldBytes'>>): void {
    const before = JSON.stringify(this.st);
    this.st = { ...this.st, ...patch };
    if (this.canPrint() && this.held.length) {
      const held = this.held;
      this.held = [];
      for (const h of held) this.decoder.push(h);
    }
    if (JSON.stringify(this.st) !== before) {
      const s = this.state();
      for (const l of [...this.statusListeners]) l(s);
    }
  }

  // ---- USB ----

  /** A handle on the simulated USB printer, as the USB transport takes it (one per host process). */
  usbLink(): SimUsbBulkLink {
    this.usbUsed = true;
    return new SimUsbLink(this);
  }

  identity(): SimUsbIdentity {
    return { serialNumber: this.opts.serialNumber ?? 'SIM-PRN-0001', path: this.opts.usbPath ?? 'usb:sim-1', vendor: 'Simulated', model: 'ESC/POS sim', usbId: '0000:0000' };
  }
}
