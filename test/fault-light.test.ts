/**
 * The boot fault shell's lane light (device/fault-light.ts) on a real Firmata board twin over a real pty: hold()
 * sets it red, release() closes the port so the booting kiosk's own driver can claim it (a serial port is exclusive),
 * and a light that cannot be opened is logged and ignored (hold never rejects).
 */
import pino from 'pino';
import { loadConfig } from '../config/load';
import { faultLight } from '../device/fault-light';
import { FirmataLaneLight } from '../drivers/light/lane-light';
import { SystemClock } from '../kernel/clock';
import { FirmataBoard } from '../simulators/light/firmata-board';
import { tempDir } from './support/engine-fixture';

const PINS = { green: 9, yellow: 10, red: 11 };

function capturingLog() {
  const lines: { msg: string; err?: string }[] = [];
  const log = pino({ level: 'info', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; err?: string }) });
  return { log, lines };
}

const configFor = (path: string) =>
  loadConfig({ env: {}, overrides: { dataDir: tempDir('kiosk-fl-'), devices: { light: { transport: 'firmata', path, pins: PINS } } } });

describe('fault shell lane light', () => {
  it('holds the light red on the board, then releases the port for the next driver', async () => {
    const board = await FirmataBoard.start();
    const { log, lines } = capturingLog();
    const shell = faultLight(configFor(board.hostPath), { clock: new SystemClock(), log });
    const next = new FirmataLaneLight({ path: board.hostPath, pins: PINS, readyTimeoutMs: 5000 });
    try {
      await shell.hold({ color: 'red', mode: 'steady' });
      await board.waitForLight({ color: 'red', mode: 'steady' });
      expect(lines.filter((l) => l.msg.includes('lane light'))).toEqual([]);

      await shell.release();
      // the booted kiosk's driver claims the same port and drives the board
      await next.open();
      await next.claim();
      await next.enable();
      await next.set({ color: 'green', mode: 'steady' });
      await board.waitForLight({ color: 'green', mode: 'steady' });
    } finally {
      await next.close();
      await shell.release();
      await board.close();
    }
  }, 30_000);

  it('a light that cannot be opened is logged, and the shell goes on without it', async () => {
    const { log, lines } = capturingLog();
    const shell = faultLight(configFor('/dev/no-such-lane-light'), { clock: new SystemClock(), log });
    await expect(shell.hold({ color: 'red', mode: 'steady' })).resolves.toBeUndefined();
    const warned = lines.filter((l) => l.msg === 'lane light not set in the fault shell');
    expect(warned).toHaveLength(1);
    expect(warned[0].err).toMatch(/no-such-lane-light/);
    await expect(shell.release()).resolves.toBeUndefined();
  }, 30_000);
});
