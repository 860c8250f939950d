import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../device/logger';

/** A real pino logger writing its JSON lines into an array. */
export function captureLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info', base: undefined }, sink) as unknown as Logger, lines };
}
