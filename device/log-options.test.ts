/** Issue 13 (logs): which format, colour and level the kiosk logs with — the pure choice, then the real logger piped. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ConfigError } from '../kernel/errors';
import { chooseLogOutput, isJournalStream } from './log-options';

const ROOT = path.resolve(__dirname, '..');
const choose = (env: NodeJS.ProcessEnv, stderrIsTty: boolean, stderrIsJournal = false, level?: string) => chooseLogOutput({ env, stderrIsTty, stderrIsJournal, level });

describe('log output choice', () => {
  it('a terminal gets pretty coloured lines; NO_COLOR (non-empty) takes the colour away', () => {
    expect(choose({}, true)).toEqual({ level: 'info', format: 'pretty', colorize: true, timestamp: true });
    expect(choose({ NO_COLOR: '1' }, true)).toMatchObject({ format: 'pretty', colorize: false });
    expect(choose({ NO_COLOR: '' }, true)).toMatchObject({ colorize: true });
  });

  it('a pipe gets JSON lines with times; the journal gets human lines without a time of their own', () => {
    expect(choose({}, false)).toEqual({ level: 'info', format: 'json', colorize: false, timestamp: true });
    expect(choose({}, false, true)).toEqual({ level: 'info', format: 'pretty', colorize: false, timestamp: false });
  });

  it('KIOSK_LOG_FORMAT overrides the choice either way; colour stays a terminal thing', () => {
    expect(choose({ KIOSK_LOG_FORMAT: 'json' }, true)).toMatchObject({ format: 'json', colorize: false });
    expect(choose({ KIOSK_LOG_FORMAT: 'pretty' }, false)).toMatchObject({ format: 'pretty', colorize: false });
    expect(choose({ KIOSK_LOG_FORMAT: 'json' }, false, true)).toMatchObject({ format: 'json', timestamp: false });
  });

  it('--log-level beats KIOSK_LOG_LEVEL; a bad one names where it came from and the levels there are', () => {
    expect(choose({ KIOSK_LOG_LEVEL: 'debug' }, false).level).toBe('debug');
    expect(choose({ KIOSK_LOG_LEVEL: 'debug' }, false, false, 'warn').level).toBe('warn');
    expect(() => choose({ KIOSK_LOG_LEVEL: 'loud' }, false)).toThrow(ConfigError);
    expect(() => choose({ KIOSK_LOG_LEVEL: 'loud' }, false)).toThrow(/KIOSK_LOG_LEVEL: "loud" is not a log level; use one of fatal, error, warn, info, debug, trace, silent/);
    expect(() => choose({}, false, false, 'LOUD')).toThrow(/--log-level: "LOUD" is not a log level/);
    expect(() => choose({ KIOSK_LOG_FORMAT: 'xml' }, false)).toThrow(/KIOSK_LOG_FORMAT: "xml" is not a log format; use one of pretty, json/);
  });

  it('JOURNAL_STREAM counts only when it names stderr itself', () => {
    expect(isJournalStream({ JOURNAL_STREAM: '8:12345' }, { dev: 8, ino: 12345 })).toBe(true);
    expect(isJournalStream({ JOURNAL_STREAM: '8:12345' }, { dev: 8, ino: 999 })).toBe(false);
    expect(isJournalStream({}, { dev: 8, ino: 12345 })).toBe(false);
  });
});

describe('the logger, piped (dist build)', () => {
  const logOnce = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['-e', "require('./dist/device/logger.js').createLogger().info({ lane: 'l1' }, 'hello there')"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    });

  it('stderr not a terminal: one JSON object per line, time as ISO 8601', () => {
    const r = logOnce({ KIOSK_LOG_LEVEL: 'info' });
    expect(r.status).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]) as { time: unknown; msg: string; lane: string };
    expect(entry).toMatchObject({ msg: 'hello there', lane: 'l1' });
    expect(entry.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('KIOSK_LOG_FORMAT=pretty: a human line with a readable time and no colour codes when piped', () => {
    const r = logOnce({ KIOSK_LOG_FORMAT: 'pretty' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4}\] INFO: hello there\n {4}lane: "l1"\n$/);
    expect(r.stderr).not.toContain('\u001b[');
  });
});
