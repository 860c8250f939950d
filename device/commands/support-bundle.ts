import * as path from 'node:path';
import { SystemClock } from '../../kernel/clock';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { buildSupportBundle } from '../support-bundle';

export interface SupportBundleOptions extends CommonOptions {
  out?: string;
  lines?: string;
  json?: boolean;
}

/** `kiosk support-bundle [--out FILE] [--lines N] [--json]`: one tar.gz for the help desk, secrets redacted (device/support-bundle.ts). */
export async function supportBundle(opts: SupportBundleOptions): Promise<void> {
  const lines = opts.lines === undefined ? 500 : Number(opts.lines);
  if (!Number.isSafeInteger(lines) || lines < 1 || lines > 100_000) throw new CliExit(2, `kiosk support-bundle: --lines expects a whole number 1-100000, got "${opts.lines}"`);
  const config = configFrom(opts);
  const clock = new SystemClock();
  const out = opts.out ? path.resolve(opts.out) : path.join(config.dataDir, 'support', `kiosk-support-${new Date(clock.now()).toISOString().replace(/[-:]/g, '')}.tar.gz`);
  const r = await buildSupportBundle(config, out, { clock, logLines: lines });
  if (opts.json) printJson({ file: r.file, entries: r.entries, running: r.running, logSource: r.logSource });
  else process.stdout.write(`support bundle ${r.file}: ${r.entries.length} entries, ${r.running ? 'from the running kiosk' : 'kiosk not running (offline checks)'}, logs: ${r.logSource}\n`);
}
