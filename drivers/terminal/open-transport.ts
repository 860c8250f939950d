import type { Clock } from '../../kernel/clock';
import { SerialTransport } from './serial-transport';
import { TcpTransport } from './tcp-transport';
import type { ZvtTransport } from './transport';
import type { ZvtTerminalOptions, ZvtTimeouts } from './zvt-options';

/** The line to the terminal its options name: the injected factory's, else a serial port or a TCP connection. */
export function openZvtTransport(opts: ZvtTerminalOptions, clock: Clock, timeouts: ZvtTimeouts): ZvtTransport {
  const c = opts.connection;
  return (
    opts.transportFactory?.(c, clock, timeouts) ??
    (c.kind === 'serial'
      ? new SerialTransport({
          path: c.path,
          baudRate: c.baudRate,
          stopBits: c.stopBits,
          watchIntervalMs: c.watchIntervalMs,
          serial: c.serial,
          clock,
          ackTimeoutMs: timeouts.ack,
          maxRetries: timeouts.retries,
        })
      : new TcpTransport({ host: c.host, port: c.port, clock }))
  );
}
