import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { callControl } from '../control-server';

async function call(opts: CommonOptions, method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> {
  const config = configFrom(opts);
  const r = await callControl(config.dataDir, method, route, body);
  if (!r) throw new CliExit(1, `kiosk: no kiosk is running on ${config.dataDir} (start one with: kiosk start --data ${config.dataDir})`);
  if (r.status === 404) throw new CliExit(1, `kiosk: ${route} is not available: that device is not simulated in the running kiosk`);
  if (r.status !== 200) throw new CliExit(1, `kiosk: ${(r.body as { error?: string })?.error ?? `HTTP ${r.status}`}`);
  return r.body;
}

const TERMINAL = ['approve', 'decline', 'timeout', 'unplug', 'replug'] as const;
const PRINTER = ['paper-out', 'paper-near-end', 'paper-ok', 'cover-open', 'cover-close', 'unplug', 'replug', 'last'] as const;

export async function simScan(code: string, opts: CommonOptions & { aim?: string }): Promise<void> {
  await call(opts, 'POST', '/sim/scanner/scan', { code, ...(opts.aim ? { aim: opts.aim } : {}) });
  process.stdout.write(`scanned ${code}\n`);
}

export async function simScanner(action: string, opts: CommonOptions): Promise<void> {
  if (action !== 'unplug' && action !== 'replug') throw new CliExit(2, `kiosk: scanner action must be unplug or replug, got "${action}"`);
  await call(opts, 'POST', `/sim/scanner/${action}`);
  process.stdout.write(`scanner ${action}ged\n`);
}

export async function simTerminal(action: string, opts: CommonOptions & { code?: string }): Promise<void> {
  if (!(TERMINAL as readonly string[]).includes(action)) throw new CliExit(2, `kiosk: terminal action must be one of ${TERMINAL.join(', ')}, got "${action}"`);
  await call(opts, 'POST', `/sim/terminal/${action}`, opts.code ? { code: Number(opts.code) } : {});
  process.stdout.write(`terminal: ${action}\n`);
}

export async function simPrinter(action: string, opts: CommonOptions & { json?: boolean }): Promise<void> {
  if (!(PRINTER as readonly string[]).includes(action)) throw new CliExit(2, `kiosk: printer action must be one of ${PRINTER.join(', ')}, got "${action}"`);
  if (action === 'last') {
    const last = (await call(opts, 'GET', '/sim/printer/last')) as { text: string; qr: string[]; barcodes: string[] } | null;
    if (opts.json) {
      printJson(last);
      return;
    }
    if (!last) throw new CliExit(1, 'kiosk: the simulated printer has printed nothing yet');
    process.stdout.write(`${last.text}\n`);
    for (const q of last.qr) process.stdout.write(`[QR ${q}]\n`);
    for (const b of last.barcodes) process.stdout.write(`[BARCODE ${b}]\n`);
    return;
  }
  await call(opts, 'POST', `/sim/printer/${action}`);
  process.stdout.write(`printer: ${action}\n`);
}

export async function simLight(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const s = (await call(opts, 'GET', '/sim/light')) as { color: string; mode: string } | null;
  if (opts.json) {
    printJson(s);
    return;
  }
  process.stdout.write(s ? `${s.color} ${s.mode}\n` : 'unknown\n');
}

export async function simDisplay(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const s = (await call(opts, 'GET', '/sim/display')) as { lines: string[] };
  if (opts.json) {
    printJson(s);
    return;
  }
  process.stdout.write(`${s.lines.map((l) => `|${l}|`).join('\n')}\n`);
}
