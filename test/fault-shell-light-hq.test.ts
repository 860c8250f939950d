/**
 * The boot fault shell (issue 11, point 3) on the lane light and at HQ: while `kiosk start` cannot boot (here: a
 * data dir whose kiosk.sqlite is garbage, SQLITE_NOTADB) the simulated lane light is red and steady, and the kiosk's
 * retained state on a real Mosquitto (`hq.broker`) says online with the fault's reason. Once the cause is gone (the
 * file removed — the data dir has no data marker, so a fresh database is right) the retry boots the full kiosk: the
 * shell let go of the light (the kiosk's own light follows the real condition: green) and of its MQTT session
 * cleanly (no last will fired: no offline state ever seen), and the kiosk's own birth replaces the fault state.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { loadConfig } from '../config/load';
import { callControl } from '../device/control-server';
import { stateTopic } from '../protocol/topics';
import { exited, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';

interface SeenState {
  online: boolean;
  software?: string;
  fault?: { code: string; reason: string };
  condition?: { inService: boolean; reasons: string[]; light: { color: string; mode: string } };
}

describe('boot fault shell: red lane light and the fault at HQ', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    killStrays();
    await broker.close();
  });

  it('NOTADB: light red steady, retained online state with the reason; after the fix the kiosk boots, light green, no will fired', async () => {
    const data = tempDir('kiosk-fs-hq-');
    fs.writeFileSync(path.join(data, 'kiosk.sqlite'), randomBytes(8192));
    const { storeId, deviceId } = loadConfig({ env: {}, overrides: { dataDir: data } }).device;
    const topic = stateTopic(storeId, deviceId);

    const hq = await mqtt.connectAsync(broker.url, { clientId: 'hq-watch', clean: true });
    const states: SeenState[] = [];
    hq.on('message', (t, payload) => {
      if (t === topic && payload.length > 0) states.push(JSON.parse(payload.toString()) as SeenState);
    });
    await hq.subscribeAsync(topic, { qos: 1 });

    const child = kioskAsync(['start', '--data', data], {
      env: { KIOSK_TIMEOUTS__BOOT_RETRY_MS: '1500', KIOSK_LOG_LEVEL: 'info', KIOSK_HQ__BROKER: broker.url },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const readies: string[] = [];
    void watchLines(child, (line) => {
      if (line.startsWith('ready ')) readies.push(line);
    });
    try {
      await waitFor('the first ready line, or the end of the process', () => readies.length >= 1 || child.exitCode !== null, 30_000);
      expect({ exit: child.exitCode, ready: readies[0] }).toEqual({ exit: null, ready: expect.stringMatching(/ lane=out-of-service .*fault=STORAGE_FAILED/) as unknown });

      // the lane light: red, steady (the simulated board's own pins, read through `kiosk sim`'s control surface)
      const light = async () => (await callControl(data, 'GET', '/sim/light'))?.body as { color: string; mode: string } | null | undefined;
      expect(await waitFor('the simulated light red', async () => ((await light())?.color === 'red' ? light() : null), 15_000)).toEqual({ color: 'red', mode: 'steady' });

      // HQ: the retained state on the kiosk's state topic, online, with the fault and the lane condition
      const fault = await waitFor('the fault state at HQ', () => states.find((s) => s.fault), 15_000);
      expect(fault.online).toBe(true);
      expect(fault.software).toMatch(/^kiosk-runtime\//);
      expect(fault.fault?.code).toBe('STORAGE_FAILED');
      expect(fault.fault?.reason).toMatch(/kiosk\.sqlite is not a SQLite database \(SQLITE_NOTADB\)/);
      expect(fault.condition?.inService).toBe(false);
      expect(fault.condition?.light).toEqual({ color: 'red', mode: 'steady' });
      expect(fault.condition?.reasons.join()).toMatch(/^storage: .*SQLITE_NOTADB/);
      // retained: a watcher that comes later gets it from the broker
      const late = await mqtt.connectAsync(broker.url, { clientId: 'hq-late', clean: true });
      const retained = new Promise<SeenState>((resolve) => late.on('message', (_t, p) => resolve(JSON.parse(p.toString()) as SeenState)));
      await late.subscribeAsync(topic, { qos: 1 });
      expect((await retained).online).toBe(true);
      await late.endAsync();

      // the cause is gone (no marker in this data dir: a fresh database is right): the retry boots the full kiosk
      fs.rmSync(path.join(data, 'kiosk.sqlite'));
      await waitFor('a second ready line', () => readies.length >= 2, 30_000);
      expect(readies[1]).toMatch(/ lane=in-service /);
      expect(readies[1]).toContain(`hq=${broker.url}`);
      // the kiosk's own light (it could open it: the shell had closed its own) follows the real condition
      expect(await waitFor('the simulated light green', async () => ((await light())?.color === 'green' ? light() : null), 15_000)).toEqual({
        color: 'green',
        mode: 'steady',
      });
      // the kiosk's own birth (no fault) replaced the fault state, and the shell's disconnect was clean: no will
      await waitFor('the kiosk birth after the fault state', () => states.length > 0 && states[states.length - 1].online && !states[states.length - 1].fault, 15_000);
      expect(states.filter((s) => !s.online)).toEqual([]);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
      await hq.endAsync();
    }
  }, 120_000);
});
