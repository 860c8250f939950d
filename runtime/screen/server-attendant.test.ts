/**
 * The WebSocket server gives every socket a connection of its own (issue 10, point 11): attendant mode opened by a
 * PIN on one socket is seen and usable on that socket only, GET /view never shows it, and it ends when that socket
 * closes. Real ws clients against a real ScreenSession on a kiosk booted without devices.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { ServerMessage, ScreenView } from '../../protocol/screen';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { tempDir } from '../../test/support/engine-fixture';
import { waitFor } from '../../test/support/wait';
import { SimulatedClock } from '../../kernel/clock';
import { AttendantGate } from './attendant-gate';
import { hashPin } from './pin';
import { ScreenSession } from './screen-session';
import { startScreenServer, type ScreenServer } from './server';

const PIN = '2468';
const WAIT_MS = 15_000;

type Result = Extract<ServerMessage, { type: 'result' }>;

/** A ws client that keeps every frame. */
async function client(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const frames: ServerMessage[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as ServerMessage));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let id = 0;
  return {
    ws,
    frames,
    lastView: (): ScreenView | undefined => [...frames].reverse().find((f): f is Extract<ServerMessage, { type: 'view' }> => f.type === 'view')?.view,
    async command(command: unknown): Promise<Result> {
      const my = ++id;
      ws.send(JSON.stringify({ type: 'command', id: my, command }));
      return waitFor(`result ${my}`, () => frames.find((f): f is Result => f.type === 'result' && f.id === my), WAIT_MS);
    },
  };
}

describe('screen server: attendant mode per connection', () => {
  let dir: string;
  let kiosk: Kiosk;
  let session: ScreenSession;
  let server: ScreenServer;

  beforeAll(async () => {
    dir = tempDir('kiosk-screen-server-att-');
    const clock = new SimulatedClock();
    const config = loadConfig({ env: {}, overrides: { dataDir: path.join(dir, 'data') } });
    kiosk = await bootKiosk(config, { clock });
    const gate = new AttendantGate({ pins: [{ attendantId: 'att-42', hash: await hashPin(PIN, { N: 1024, r: 8, p: 1 }) }], maxAttempts: 5, lockoutMs: 60_000, clock });
    session = new ScreenSession({
      clock,
      engine: kiosk.engine,
      lane: kiosk.lane,
      checkout: kiosk.checkout,
      gate,
      storeName: config.device.name,
      currency: { code: config.currency.code, minorUnits: config.currency.minorUnits },
      languages: ['zh-CN', 'en'],
      defaultLang: 'zh-CN',
      setLane: async (open) => (open ? kiosk.lane.unlock() : kiosk.lane.lock('closed by test')),
    });
    await session.start();
    server = await startScreenServer(session, { port: 0, staticDir: path.resolve(__dirname, '..', '..', 'screen-ui'), scriptDir: dir });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    session?.stop();
    await kiosk?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a PIN on socket A opens attendant mode for A only; B never sees it and its commands are refused; it ends when A closes', async () => {
    const a = await client(server.port);
    const b = await client(server.port);
    try {
      expect((await a.command({ kind: 'attendant_open' })).ok).toBe(true);
      // the keypad opened on A only
      await waitFor('keypad on A', () => a.lastView()?.attendant.pinPad, WAIT_MS);
      expect(b.lastView()?.attendant.pinPad).toBe(false);
      expect(await a.command({ kind: 'attendant_pin', pin: PIN })).toMatchObject({ ok: true });
      await waitFor('attendant mode on A', () => a.lastView()?.attendant.active, WAIT_MS);
      expect(a.lastView()!.attendant.attendantId).toBe('att-42');
      // every frame B ever received shows no attendant
      expect(b.frames.filter((f) => f.type === 'view').every((f) => f.type === 'view' && !f.view.attendant.active && f.view.attendant.attendantId === null)).toBe(true);
      expect(await b.command({ kind: 'attendant_lane', open: false })).toMatchObject({ ok: false, error: expect.stringMatching(/^not_authorised/) });
      expect(kiosk.lane.closed).toBeNull();
      // GET /view answers as nobody's connection
      const view = (await (await fetch(`http://127.0.0.1:${server.port}/view`)).json()) as ScreenView;
      expect(view.attendant).toMatchObject({ active: false, attendantId: null });
      // A's own commands work
      expect(await a.command({ kind: 'attendant_lane', open: false })).toMatchObject({ ok: true });
      expect(kiosk.lane.closed).not.toBeNull();
      expect(await a.command({ kind: 'attendant_lane', open: true })).toMatchObject({ ok: true });

      a.ws.close();
      await waitFor('session ended with its socket', () => !session.attendantActive(), WAIT_MS);
    } finally {
      a.ws.close();
      b.ws.close();
    }
  });
});
