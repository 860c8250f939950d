import pino from 'pino';

/** Structured logs go to stderr; stdout is kept for what a command prints. */
export function createLogger(level = process.env.KIOSK_LOG_LEVEL ?? 'info') {
  return pino({ level, base: undefined }, pino.destination(2));
}
export type Logger = ReturnType<typeof createLogger>;
