/**
 * bench/scan: latency from the last scanner byte written into the pty to the runtime's committed cart update
 * (serial scanner driver → framer → barcode parse → price-book lookup → engine transaction with fsync), p50/p99
 * over SCANS scans (clock starts when the simulator hands the bytes to the pty), beside the raw pty round trip (the same bytes, device end → host end, read with serialport)
 * measured in the same run.
 *
 *   npm run bench:scan      (SCANS=10000)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SerialPort } from 'serialport';
import { loadConfig } from '../config/load';
import { bootKiosk } from '../device/kiosk';
import { SerialScanner } from '../drivers/scanner/serial-scanner';
import { ScanFeed } from '../runtime/devices/scan-feed';
import { SerialScannerSimulator } from '../simulators/scanner/serial-scanner-sim';

const SCANS = Number(process.env.SCANS ?? 10_000);
const PER_ORDER = 20;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const now = () => Number(process.hrtime.bigint()) / 1e6;

async function rawRoundTrip(codes: string[]): Promise<number[]> {
  const sim = await SerialScannerSimulator.create({ name: 'raw' });
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path: sim.hostPath, baudRate: 115200 }, (e) => (e ? reject(e) : resolve(p)));
  });
  const out: number[] = [];
  let pending: ((t: number) => void) | null = null;
  port.on('data', (d: Buffer) => {
    if (d.includes(0x0d) && pending) pending(now());
  });
  for (const code of codes) {
    const got = new Promise<number>((r) => (pending = r));
    const t0 = now();
    await sim.scan(code);
    out.push((await got) - t0);
  }
  await new Promise((r) => port.close(r));
  await sim.close();
  return out;
}

async function throughKiosk(codes: string[], dir: string): Promise<number[]> {
  const config = loadConfig({ env: {}, overrides: { dataDir: dir } });
  const k = await bootKiosk(config);
  const sim = await SerialScannerSimulator.create({ name: 'bench' });
  const scanner = new SerialScanner({ path: sim.hostPath, baudRate: 115200 });
  await scanner.open();
  await scanner.claim();
  await scanner.enable();
  const feed = new ScanFeed(scanner, k.lane);
  let pending: ((t: number) => void) | null = null;
  k.engine.on('committed', (c) => {
    if (c.event.type === 'item_added' && pending) pending(now());
  });
  const out: number[] = [];
  for (let i = 0; i < codes.length; i++) {
    const got = new Promise<number>((r) => (pending = r));
    const t0 = now();
    await sim.scan(codes[i]);
    out.push((await got) - t0);
    if ((i + 1) % PER_ORDER === 0) {
      await feed.idle();
      const o = await k.engine.openOrder();
      if (o) await k.engine.dispatch(o.id, { type: 'order_cancelled', reason: 'bench' });
    }
  }
  feed.stop();
  await scanner.close();
  await sim.close();
  await k.close();
  return out;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-bench-scan-'));
  const book = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'config', 'starter', 'pricebook.json'), 'utf8')) as {
    items: { barcodes: string[]; soldByWeight: boolean; ageLimit: number | null }[];
  };
  const plain = book.items.filter((i) => !i.soldByWeight && i.ageLimit === null && i.barcodes[0].length === 13).map((i) => i.barcodes[0]);
  const codes = Array.from({ length: SCANS }, (_, i) => plain[(i * 7) % plain.length]);
  const raw = await rawRoundTrip(codes);
  const kiosk = await throughKiosk(codes, dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const row = (name: string, xs: number[]) =>
    `| ${name.padEnd(44)} | ${pct(xs, 50).toFixed(3).padStart(8)} | ${pct(xs, 99).toFixed(3).padStart(8)} | ${Math.max(...xs).toFixed(2).padStart(8)} |`;
  console.log(`\nbench/scan: ${SCANS} scans, node ${process.version}, ${os.cpus().length} cores (ms)\n`);
  console.log('| path                                         |      p50 |      p99 |      max |');
  console.log('|----------------------------------------------|---------:|---------:|---------:|');
  console.log(row('raw pty round trip (device end → host read)', raw));
  console.log(row('scanner byte → committed cart update', kiosk));
  console.log(`\nratio p50 ${(pct(kiosk, 50) / pct(raw, 50)).toFixed(1)}×, p99 ${(pct(kiosk, 99) / pct(raw, 99)).toFixed(1)}× the raw round trip`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
