import { callControl } from '../control-server';
import { formatDoctor, type DoctorReport } from '../doctor';
import { bootLocked } from '../locked-boot';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import * as readline from 'node:readline/promises';

/**
 * `kiosk doctor`: health of every configured device, the SQLite file and the journal, as a pass/fail table.
 * A running kiosk owns its devices, so doctor asks it over the control endpoint; otherwise it brings the devices
 * up itself. Exit 1 when a required check fails.
 */
export async function doctor(opts: CommonOptions & { json?: boolean; interactive?: boolean }): Promise<void> {
  const config = configFrom(opts);
  let report: DoctorReport;
  const remote = await callControl(config.dataDir, 'POST', '/doctor', { interactive: false });
  if (remote && remote.status === 200) {
    report = remote.body as DoctorReport;
  } else {
    const kiosk = await bootLocked(config, { devices: true });
    try {
      const rl = opts.interactive ? readline.createInterface({ input: process.stdin, output: process.stderr }) : null;
      const prompt = rl ? async (text: string) => /^y/i.test(await rl.question(`${text} [y/n] `)) : undefined;
      report = await kiosk.hardware!.doctor({ interactive: opts.interactive, prompt });
      rl?.close();
    } finally {
      await kiosk.close();
    }
  }
  if (opts.json) printJson(report);
  else process.stdout.write(`${formatDoctor(report)}\n`);
  if (!report.ok) throw new CliExit(1, '');
}
