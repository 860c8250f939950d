import { describeIds, enumerateDevices } from '../discovery/enumerate';
import { configFrom, printJson, type CommonOptions } from '../cli-support';

/**
 * `kiosk devices`: what is on USB, HID and serial, which known device each is, and which driver would claim it.
 * A machine with no devices prints an empty list and exits 0; a missing system library is reported with its fix.
 */
export async function devices(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const config = configFrom(opts);
  const r = await enumerateDevices(config.devices.known);
  if (opts.json) {
    printJson(r);
    return;
  }
  if (r.devices.length === 0) process.stdout.write('no devices found\n');
  for (const d of r.devices) {
    const what = d.match ? `${d.match.deviceClass.padEnd(8)} ${d.match.name} → driver ${d.match.driver}` : 'unknown';
    process.stdout.write(`${d.bus.padEnd(6)} ${describeIds(d).padEnd(9)} ${d.id.padEnd(40)} ${what}${d.product ? ` (${d.product})` : ''}\n`);
  }
  for (const m of r.missing) process.stdout.write(`missing: ${m.module}: ${m.error}\n  fix: ${m.fix}\n`);
}
