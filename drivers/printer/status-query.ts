import { KioskError } from '../../kernel/errors';
import { combineStatus, dleEot, parseStatusReply, type EscPosStatus, type StatusQuery, type StatusReply } from './status';
import type { PrinterTransport } from './transport';

export interface StatusQueryOptions {
  /** Reads per DLE EOT (USB printers often answer a read or two late). */
  attempts: number;
  /** Wait per read. */
  timeoutMs: number;
}

/** DLE EOT n, then up to `attempts` reads for the one reply byte. */
async function query(transport: PrinterTransport, n: StatusQuery, opts: StatusQueryOptions): Promise<StatusReply> {
  transport.discardInput();
  await transport.write(dleEot(n));
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const data = await transport.read(opts.timeoutMs);
    if (data.length === 0) continue;
    if (data.length !== 1) {
      throw new KioskError('PROTOCOL', `expected one status byte for DLE EOT ${n}, got ${data.length}: ${[...data].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`, { n });
    }
    return parseStatusReply(n, data[0]);
  }
  throw new KioskError('TIMEOUT', `no reply to DLE EOT ${n} (${opts.attempts} read${opts.attempts > 1 ? 's' : ''} of ${opts.timeoutMs} ms)`, { n });
}

/** The real-time status: DLE EOT 1, 2 and 4, and 3 when the printer reports an error. */
export async function queryRealtimeStatus(transport: PrinterTransport, opts: StatusQueryOptions): Promise<EscPosStatus> {
  const r1 = (await query(transport, 1, opts)) as StatusReply & { n: 1 };
  const r2 = (await query(transport, 2, opts)) as StatusReply & { n: 2 };
  const r4 = (await query(transport, 4, opts)) as StatusReply & { n: 4 };
  const r3 = r2.error ? ((await query(transport, 3, opts)) as StatusReply & { n: 3 }) : undefined;
  return combineStatus(r1, r2, r4, r3);
}
