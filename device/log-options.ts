import { ConfigError } from '../kernel/errors';

/**
 * How the kiosk logs: level and format, chosen from the command line, the environment and where stderr goes.
 * Pure and light (no pino): device/cli.ts checks `--log-level` / KIOSK_LOG_LEVEL / KIOSK_LOG_FORMAT with it before
 * any command loads, and device/logger.ts builds the logger from its choice.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogChoice {
  level: LogLevel;
  /** pretty: one human line per entry (pino-pretty); json: one JSON object per line. */
  format: LogFormat;
  /** ANSI colours (pretty on a terminal without NO_COLOR only). */
  colorize: boolean;
  /** Whether lines carry their own time (ISO 8601 in JSON): not under systemd, whose journal stamps every line. */
  timestamp: boolean;
}

export interface LogSurroundings {
  env: NodeJS.ProcessEnv;
  /** process.stderr.isTTY */
  stderrIsTty: boolean;
  /** stderr is the systemd journal (JOURNAL_STREAM names stderr's device:inode). */
  stderrIsJournal: boolean;
  /** `--log-level`, when given; beats KIOSK_LOG_LEVEL. */
  level?: string;
}

const isLevel = (v: string): v is LogLevel => (LOG_LEVELS as readonly string[]).includes(v);
const isFormat = (v: string): v is LogFormat => (LOG_FORMATS as readonly string[]).includes(v);

/** `value` as a log level, or a ConfigError naming where it came from and the levels there are. */
export function logLevel(value: string, source: string): LogLevel {
  if (isLevel(value)) return value;
  throw new ConfigError([`${source}: "${value.slice(0, 40)}" is not a log level; use one of ${LOG_LEVELS.join(', ')}`]);
}

/**
 * The choice: level from `--log-level`, else KIOSK_LOG_LEVEL, else info. Format from KIOSK_LOG_FORMAT, else pretty
 * when stderr is a terminal or the journal (journald stamps lines itself, so no time there), else JSON lines with
 * ISO 8601 times. Colour only on a terminal, and never when NO_COLOR is set to anything (https://no-color.org).
 */
export function chooseLogOutput(s: LogSurroundings): LogChoice {
  const level = s.level !== undefined ? logLevel(s.level, '--log-level') : logLevel(s.env.KIOSK_LOG_LEVEL || 'info', 'KIOSK_LOG_LEVEL');
  const asked = s.env.KIOSK_LOG_FORMAT || undefined;
  if (asked !== undefined && !isFormat(asked)) {
    throw new ConfigError([`KIOSK_LOG_FORMAT: "${asked.slice(0, 40)}" is not a log format; use one of ${LOG_FORMATS.join(', ')}`]);
  }
  const format: LogFormat = asked ?? (s.stderrIsTty || s.stderrIsJournal ? 'pretty' : 'json');
  const noColor = s.env.NO_COLOR !== undefined && s.env.NO_COLOR !== '';
  return { level, format, colorize: format === 'pretty' && s.stderrIsTty && !noColor, timestamp: !s.stderrIsJournal };
}

/**
 * Whether `stderrStat` (fstat of fd 2) is the journal stream systemd set up: JOURNAL_STREAM is `<device>:<inode>`
 * of it (systemd.exec(5), "JOURNAL_STREAM"); a child whose stderr was redirected elsewhere inherits the variable
 * but not the stream.
 */
export function isJournalStream(env: NodeJS.ProcessEnv, stderrStat: { dev: number; ino: number } | null): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  return !!m && !!stderrStat && Number(m[1]) === stderrStat.dev && Number(m[2]) === stderrStat.ino;
}
