/**
 * The `kiosk` CLI against a payment terminal played byte by byte in this test process (drivers/terminal/
 * scripted-peer.ts): a command answers the terminal before it closes the port (issue 10 point 4), and a refused
 * registration reaches `kiosk doctor` with its reason (point 5).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PtyPair } from '../simulators/pty-pair';
import { SerialPeer, TcpPeer } from './support/zvt-scripted-peer';
import { exited, kioskAsync, killStrays } from './support/cli';
import { tempDir } from './support/engine-fixture';

/** Completion after status enquiry: software version "2.14.15", terminal status 00 (wirelane/ecrterm test_version_completion). */
const STATUS_READY = '06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00';

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = kioskAsync(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const { code } = await exited(child);
  return { code, stdout, stderr };
}

describe('kiosk CLI against a scripted payment terminal', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir('kiosk-termcli-')));
  afterEach(() => {
    killStrays();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const config = (terminal: object) => {
    const file = path.join(dir, 'kiosk.json');
    fs.writeFileSync(file, JSON.stringify({ dataDir: path.join(dir, 'data'), devices: { terminal } }));
    return file;
  };

  it('kiosk doctor answers the terminal\'s last completion with 80 00 00 — repeated after T3 when lost — before it exits (serial, point 4)', async () => {
    const pair = await PtyPair.create('termcli');
    const peer = await SerialPeer.open(pair.devicePath);
    let statusCompletions = 0;
    peer.on('apdu', (a) => {
      if (a.startsWith('06 00')) {
        peer.send('80 00 00');
        peer.send('06 0F 00');
      } else if (a.startsWith('05 01')) {
        peer.send('80 00 00');
        statusCompletions++;
        peer.ignoreNext = 1; // the ECR's answer to the completion is lost on the line: it must be repeated after T3
        peer.send(STATUS_READY);
      } else if (a.startsWith('06 20')) {
        peer.send('80 00 00');
        peer.send('06 1E 01 83');
      }
    });
    try {
      const r = await run(['doctor', '--config', config({ transport: 'serial', path: pair.hostPath, baudRate: 9600 })]);
      expect(r.stdout).toMatch(/PASS\s+terminal external .*ready/);
      expect(statusCompletions).toBeGreaterThanOrEqual(1);
      // after the terminal's last completion: the ECR's 80 00 00, lost once, sent again after T3 — the process did not exit before
      const last = peer.line.map((e) => (e.type === 'frame' ? e.apdu : e.type)).lastIndexOf('05 01 03 00 00 00');
      const after = peer.line.slice(last + 1).flatMap((e) => (e.type === 'frame' ? [e.apdu] : []));
      expect(after).toEqual(['80 00 00', '80 00 00']);
    } finally {
      await peer.close();
      await pair.close();
    }
  }, 60_000);

  it('payments recover on its exit-3 path (in doubt) answers the terminal\'s 06 0F 00 with 80 00 00 — repeated after T3 when lost — and never cancels (serial, points 1 + 4)', async () => {
    const pair = await PtyPair.create('termcli');
    const peer = await SerialPeer.open(pair.devicePath);
    peer.on('apdu', (a) => {
      if (a.startsWith('06 00')) {
        peer.send('80 00 00');
        peer.send('06 0F 00');
      } else if (a.startsWith('06 01')) {
        peer.send('80 00 00');
        peer.send('04 FF 01 0A'); // "insert card": the payment is at the terminal (the demo is killed here)
      } else if (a.startsWith('05 01')) {
        peer.send('80 00 00');
        peer.send(STATUS_READY);
      } else if (a.startsWith('06 20')) {
        peer.send('80 00 00');
        peer.ignoreNext = 1; // the ECR's answer to the completion is lost on the line: it must be repeated after T3
        peer.send('06 0F 00'); // a completion without status information: the terminal does not say
      }
    });
    try {
      const cfg = config({ transport: 'serial', path: pair.hostPath, baudRate: 9600 });
      const killed = kioskAsync(['demo', '--pay', 'card', '--config', cfg], { env: { KIOSK_FAILPOINT: 'payment.after-send' } });
      killed.stdout.resume();
      killed.stderr.resume();
      expect((await exited(killed)).signal).toBe('SIGKILL');
      const r = await run(['payments', 'recover', '--close', '--json', '--config', cfg]);
      expect(r.code).toBe(3);
      const out = JSON.parse(r.stdout) as { unsettled: number; orders: { state: string; paid: number }[] };
      expect(out.unsettled).toBe(1);
      expect(out.orders[0]).toMatchObject({ state: 'payment_unknown', paid: 0 }); // in doubt, not cancelled
      expect(peer.frames).toContain('06 20 05 00 00 00 03 01'); // it asked for the status information
      const frames = peer.line.map((e) => (e.type === 'frame' ? e.apdu : e.type));
      const after = peer.line.slice(frames.lastIndexOf('06 20 05 00 00 00 03 01') + 1).flatMap((e) => (e.type === 'frame' ? [e.apdu] : []));
      expect(after).toEqual(['80 00 00', '80 00 00']);
    } finally {
      await peer.close();
      await pair.close();
    }
  }, 90_000);

  it('kiosk doctor exits 1 naming the refused registration: wrong currency, the terminal runs 978 (TCP, point 5)', async () => {
    const peer = await TcpPeer.listen();
    peer.on('apdu', (a) => {
      if (a.startsWith('06 00')) peer.send('84 1E 03 6F 09 78');
      else if (a.startsWith('05 01')) {
        peer.send('80 00 00');
        peer.send(STATUS_READY);
      }
    });
    try {
      const r = await run(['doctor', '--config', config({ transport: 'tcp', host: '127.0.0.1', port: peer.port })]);
      expect(r.stdout).toMatch(/FAIL\s+terminal external .*terminal refused registration: wrong currency: the terminal runs currency 978, the kiosk is set to 156/);
      expect(r.stdout).not.toMatch(/PASS\s+terminal external/);
      expect(r.stdout).toContain('doctor: required checks failed');
      expect(r.code).toBe(1);
    } finally {
      await peer.close();
    }
  }, 60_000);
});
