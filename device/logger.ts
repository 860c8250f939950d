import * as fs from 'node:fs';
import pino from 'pino';
import pretty from 'pino-pretty';
import { chooseLogOutput, isJournalStream, type LogChoice } from './log-options';

function stderrStat(): { dev: number; ino: number } | null {
  try {
    return fs.fstatSync(2);
  } catch {
    return null;
  }
}

/** The choice for this process: its environment and where its stderr goes. */
export function logChoice(level?: string, env: NodeJS.ProcessEnv = process.env): LogChoice {
  return chooseLogOutput({ env, level, stderrIsTty: process.stderr.isTTY === true, stderrIsJournal: isJournalStream(env, stderrStat()) });
}

/**
 * Structured logs go to stderr; stdout is kept for what a command prints. A terminal gets human lines (pino-pretty as a
 * synchronous stream, not a worker thread: nothing is lost on exit), a pipe gets JSON lines with ISO 8601 times, the
 * systemd journal gets human lines without a time of their own (device/log-options.ts). A bad level or format throws
 * ConfigError.
 */
export function createLogger(level?: string) {
  const choice = logChoice(level);
  const timestamp = choice.timestamp ? pino.stdTimeFunctions.isoTime : false;
  if (choice.format === 'json') return pino({ level: choice.level, base: undefined, timestamp }, pino.destination({ dest: 2, sync: true }));
  const stream = pretty({
    destination: 2,
    sync: true,
    colorize: choice.colorize,
    translateTime: choice.timestamp ? 'SYS:yyyy-mm-dd HH:MM:ss.l o' : false,
    ignore: choice.timestamp ? 'pid,hostname' : 'pid,hostname,time',
  });
  return pino({ level: choice.level, base: undefined, timestamp }, stream);
}
export type Logger = ReturnType<typeof createLogger>;
