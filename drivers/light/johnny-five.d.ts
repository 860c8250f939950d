/**
 * Minimal declarations for the parts of johnny-five 2.x and firmata.js 2.x that the lane light uses
 * (neither ships types). Only `firmata-link.ts` imports these modules.
 */

/**
 * firmata-io: firmata.js without a transport bound. The `firmata` package binds serialport 8 (whose native binding
 * is never built here and throws "Missing serialport dependency" at require time); we bind serialport v13 instead.
 */
declare module 'firmata-io' {
  import type Firmata from 'firmata';
  function bindTransport(transport: unknown): typeof Firmata;
  export = bindTransport;
}

declare module 'firmata' {
  import { EventEmitter } from 'node:events';

  /** Anything with write/on('data') that behaves like a serialport stream. */
  interface FirmataTransport {
    write(data: Buffer, callback?: (err?: Error | null) => void): unknown;
    on(event: string, listener: (...args: unknown[]) => void): unknown;
  }

  interface FirmataOptions {
    /** ms to wait for the board's unsolicited REPORT_VERSION before asking for it (default 5000). */
    reportVersionTimeout?: number;
    /** Skip CAPABILITY_QUERY / ANALOG_MAPPING_QUERY (pins get default capabilities). */
    skipCapabilities?: boolean;
    samplingInterval?: number;
    /** With skipCapabilities: how many pins to assume. */
    pinCount?: number;
  }

  interface FirmataPin {
    supportedModes: number[];
    mode?: number;
    value: number;
    report?: number;
    analogChannel?: number;
    /** Set by a PIN_STATE_RESPONSE. */
    state?: number;
  }

  class Firmata extends EventEmitter {
    constructor(transport: FirmataTransport, options?: FirmataOptions, callback?: (err?: Error) => void);
    readonly isReady: boolean;
    readonly versionReceived: boolean;
    readonly version: { major?: number; minor?: number };
    readonly firmware: { name?: string; version?: { major: number; minor: number } };
    readonly pins: FirmataPin[];
    /** firmata.js's parse buffer (bytes of the message in progress). */
    buffer: number[];
    readonly MODES: Record<'INPUT' | 'OUTPUT' | 'ANALOG' | 'PWM' | 'SERVO' | 'PULLUP', number>;
    /** The timer that sends REPORT_VERSION + QUERY_FIRMWARE if the board stays silent. */
    reportVersionTimeoutId?: ReturnType<typeof setTimeout>;
    transport: FirmataTransport;
    reportVersion(callback: () => void): void;
    queryFirmware(callback: () => void): void;
    queryPinState(pin: number, callback: () => void): void;
  }

  export = Firmata;
}

declare module 'johnny-five' {
  import { EventEmitter } from 'node:events';

  interface BoardOptions {
    /** An IO plugin / Firmata instance; johnny-five then opens no port itself. */
    io: unknown;
    id?: string;
    repl?: boolean;
    debug?: boolean;
    /** Install a SIGINT handler that exits the process (default true!). */
    sigint?: boolean;
    /** ms between the IO's "connect" and "ready" before the board emits an error (default 10000). */
    timeout?: number;
  }

  class Board extends EventEmitter {
    constructor(options: BoardOptions);
    readonly isReady: boolean;
    readonly id: string;
    /** The connect→ready watchdog timer. */
    timer: ReturnType<typeof setTimeout> | null;
    /** Every Board ever constructed (johnny-five's global registry; the array itself, not a copy). */
    static readonly cache: Board[];
  }

  interface LedOptions {
    pin: number;
    board: Board;
  }

  class Led {
    constructor(options: LedOptions);
    readonly pin: number;
    readonly isOn: boolean;
    readonly isRunning: boolean;
    /** Firmata mode chosen for the pin: OUTPUT, or PWM when the board advertises PWM on it. */
    readonly mode: number;
    on(): this;
    off(): this;
    /** Toggles every `ms` (setInterval) until `stop()`. */
    blink(ms?: number): this;
    stop(): this;
  }

  export { Board, Led };
}
