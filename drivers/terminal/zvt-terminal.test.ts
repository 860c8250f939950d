import { SerialPort } from 'serialport';
import { simulatedTerminal, type SimulatedTerminal } from '../../test/support/simulated-terminal';
import type { TerminalSimulatorOptions } from '../../simulators/terminal/zvt-simulator';
import type { EcrCommand } from './zvt/commands';
import type { DeviceStatus } from '../contract/device';
import type { TerminalPrompt } from '../contract/terminal';
import { isKioskError, type KioskError } from '../../kernel/errors';
import type { ZvtTerminalOptions } from './zvt-terminal';

async function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rejection(p: Promise<unknown>): Promise<KioskError> {
  try {
    await p;
  } catch (e) {
    if (isKioskError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

function commands(s: SimulatedTerminal): EcrCommand[] {
  const list: EcrCommand[] = [];
  s.sim.on('command', (c) => list.push(c));
  return list;
}

/** mulberry32: a seeded PRNG so error-rate runs are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function setup(via: 'pty' | 'tcp', sim: TerminalSimulatorOptions = {}, driver: Partial<Omit<ZvtTerminalOptions, 'connection'>> = {}) {
  const s = await simulatedTerminal(via, { sim, driver });
  await s.terminal.open();
  await s.terminal.claim();
  await s.terminal.enable();
  // the ECR's 80 00 00 to the registration completion may still be on the line: let the terminal go idle first
  await until(() => s.sim.idle, 2000, 'simulator idle');
  return s;
}

describe.each(['tcp', 'pty'] as const)('ZvtTerminal against the simulator (%s)', (via) => {
  let s: SimulatedTerminal;
  afterEach(async () => s?.cleanup());

  it('approve: prompts in order, receipt lines, and a result with trace, receipt, masked PAN and card name', async () => {
    s = await setup(via);
    const prompts: TerminalPrompt[] = [];
    const lines: string[] = [];
    s.terminal.on('prompt', (p) => prompts.push(p));
    s.terminal.on('printLine', (l) => lines.push(l));
    const r = await s.terminal.authorize(1234);
    expect(r).toEqual({
      resultCode: 0,
      approved: true,
      amount: 1234,
      traceNumber: 1,
      receiptNumber: 1,
      cardType: 'girocard',
      maskedPan: '6799********0016',
      authCode: '100001',
      terminalId: '52001233',
    });
    expect(prompts).toEqual([
      { code: 'insert_card', text: 'Insert card' }, // 04 FF status 0x0A
      { code: 'enter_pin', text: 'Please follow the instructions on the PIN pad' }, // 0x01
      { code: 'processing', text: 'Waiting for the payment host' }, // 0x04
    ]);
    expect(lines).toContain('Betrag EUR 12,34');
    expect(s.sim.lookupByTrace(1)).toMatchObject({ result: 'approved', amount: 1234 });
  });

  it('decline with a result code resolves approved:false with the reason', async () => {
    s = await setup(via);
    s.sim.declineNext(0x64);
    const r = await s.terminal.authorize(500);
    expect(r).toMatchObject({ approved: false, resultCode: 0x64, text: 'card not readable', amount: 500, traceNumber: 1 });
  });

  it('abort mid-transaction (card awaited): 06 B0 → approved:false, 6C; the simulator journals it aborted', async () => {
    s = await setup(via, { autoCard: false });
    const p = s.terminal.authorize(900);
    await new Promise((r) => s.terminal.once('prompt', r));
    await s.terminal.abort();
    expect(await p).toMatchObject({ approved: false, resultCode: 0x6c, text: 'aborted (timeout or abort key)' });
    expect(s.sim.last()).toMatchObject({ result: 'aborted', note: 'aborted by the ECR' });
  });

  it('timeout: no completion in time → TIMEOUT (unknown outcome), never a second authorization; the drain aborts, statusEnquiry tells', async () => {
    s = await setup(via, {}, { timeouts: { completion: 400 } });
    const sent = commands(s);
    s.sim.timeoutNext();
    const err = await rejection(s.terminal.authorize(4200));
    expect(err.code).toBe('TIMEOUT');
    expect(err.details.unknownOutcome).toBe(true);
    // the driver sent 06 B0 and stays busy until the terminal wound down
    expect(s.terminal.status().faults).toContain('TERMINAL_BUSY');
    await until(() => !s.terminal.status().faults.includes('TERMINAL_BUSY'), 3000, 'drain');
    expect(sent.filter((c) => c.kind === 'authorization')).toHaveLength(1);
    expect(sent.filter((c) => c.kind === 'abort')).toHaveLength(1);
    // the aborted payment is no completed transaction: the terminal has no receipt stored (06 1E 83)
    const st = await s.terminal.statusEnquiry();
    expect(s.sim.last()).toMatchObject({ result: 'aborted', amount: 4200 });
    expect(st).toMatchObject({ approved: false, lastTransaction: 'none', resultCode: 0x83 });
    expect(sent.filter((c) => c.kind === 'authorization')).toHaveLength(1);
  });

  it('concurrency: DEVICE_BUSY for anything else while a payment runs', async () => {
    s = await setup(via, { autoCard: false });
    const p = s.terminal.authorize(100);
    await new Promise((r) => s.terminal.once('prompt', r));
    for (const call of [() => s.terminal.authorize(1), () => s.terminal.refund(1), () => s.terminal.reverse(1), () => s.terminal.endOfDay(), () => s.terminal.statusEnquiry(), () => s.terminal.register()]) {
      expect((await rejection(call())).code).toBe('DEVICE_BUSY');
    }
    s.sim.insertCard();
    expect(await p).toMatchObject({ approved: true });
  });

  it('refund, reversal by receipt number, end-of-day', async () => {
    s = await setup(via);
    const pay = await s.terminal.authorize(2000);
    const refund = await s.terminal.refund(300);
    expect(refund).toMatchObject({ approved: true, amount: 300 });
    expect(s.sim.lookupByTrace(refund.traceNumber!)).toMatchObject({ kind: 'refund' });
    const rev = await s.terminal.reverse(pay.receiptNumber!);
    expect(rev).toMatchObject({ approved: true, amount: 2000 });
    expect(s.sim.lookupByReceipt(pay.receiptNumber!)).toMatchObject({ reversed: true });
    expect(await s.terminal.reverse(pay.receiptNumber!)).toMatchObject({ approved: false, resultCode: 0xb4 });
    expect(await s.terminal.reverse(4321)).toMatchObject({ approved: false, resultCode: 0xb5 });
    await s.terminal.authorize(700);
    expect(await s.terminal.endOfDay()).toMatchObject({ approved: true, amount: 400 }); // 700 - 300 refund; 2000 reversed
  });

  it('statusEnquiry finds the last transaction in the terminal journal', async () => {
    s = await setup(via);
    await s.terminal.authorize(111);
    s.sim.declineNext(0x05);
    await s.terminal.authorize(222);
    const last = s.sim.last()!;
    expect(await s.terminal.statusEnquiry()).toMatchObject({ approved: false, resultCode: 5, amount: 222, traceNumber: last.traceNumber, receiptNumber: last.receiptNumber });
  });

  it('health: internal, external (status enquiry), external failing on a locked terminal, interactive with and without a person', async () => {
    s = await setup(via);
    expect(await s.terminal.checkHealth('internal')).toMatchObject({ ok: true, reason: expect.stringMatching(/codec self-test passed; enabled, online/) });
    expect(await s.terminal.checkHealth('external')).toMatchObject({ ok: true, reason: expect.stringMatching(/ready, terminal 52001233, software KIOSK-SIM 1.0/) });
    expect(await s.terminal.checkHealth('interactive')).toMatchObject({ ok: true, reason: expect.stringMatching(/nobody was asked/) });
    const asked: string[] = [];
    expect(
      await s.terminal.checkHealth('interactive', {
        prompt: async (q) => {
          asked.push(q);
          return true;
        },
      }),
    ).toMatchObject({ ok: true });
    expect(asked[0]).toMatch(/payment terminal/);
    s.sim.setTerminalStatus(0xdc);
    expect(await s.terminal.checkHealth('external')).toMatchObject({ ok: false, reason: expect.stringMatching(/card inserted/) });
  });

  it('the masked PAN never reaches the log in full form', async () => {
    const logs: string[] = [];
    const log = (obj: object, msg?: string) => logs.push(JSON.stringify({ ...obj, msg }));
    s = await setup(via, {}, { logger: { debug: log, info: log, warn: log } });
    const r = await s.terminal.authorize(1500);
    expect(r.maskedPan).toBe('6799********0016');
    const all = logs.join('\n');
    expect(all).toContain('"pan":"************0016"');
    expect(all).not.toContain('6799');
  });
});

describe('ZvtTerminal over a real pty pair: link faults and cable pulls', () => {
  let s: SimulatedTerminal;
  afterEach(async () => s?.cleanup());

  it('CRC errors injected by the terminal: the driver NAKs, the terminal retransmits, the payment goes through', async () => {
    s = await setup('pty');
    const errors: KioskError[] = [];
    s.terminal.on('error', (e) => errors.push(e));
    // 2 corrupted in a row: the third transmission (the last the transport protocol allows) gets through
    s.sim.injectFaults({ corruptFrames: 2 });
    expect(await s.terminal.authorize(2500)).toMatchObject({ approved: true, amount: 2500 });
    expect(s.sim.stats.serial).toMatchObject({ corruptedSent: 2, naksReceived: 2 });
    expect(s.sim.stats.serial!.retransmissions).toBeGreaterThanOrEqual(2);
    expect(errors.filter((e) => e.code === 'PROTOCOL' && /checksum/.test(e.message))).toHaveLength(2);
  });

  it('frames lost on the line (no ACK): the driver retransmits after T3; the terminal acts once', async () => {
    s = await setup('pty');
    const sent = commands(s);
    s.sim.injectFaults({ dropFrames: 2 });
    expect(await s.terminal.authorize(3100)).toMatchObject({ approved: true });
    expect(s.sim.stats.serial?.swallowed).toBe(2);
    expect(sent.filter((c) => c.kind === 'authorization')).toHaveLength(1);
    expect(s.sim.journal.entries().filter((e) => e.kind === 'payment')).toHaveLength(1);
  });

  it('random error rates (seeded): every payment completes, none twice', async () => {
    s = await setup('pty', { random: seeded(20260101) });
    s.sim.setErrorRates({ corruptCrc: 0.1, dropAck: 0.05 });
    const sent = commands(s);
    for (const amount of [101, 202, 303]) expect(await s.terminal.authorize(amount)).toMatchObject({ approved: true, amount });
    expect(sent.filter((c) => c.kind === 'authorization')).toHaveLength(3);
    const stats = s.sim.stats.serial!;
    expect(stats.corruptedSent + stats.swallowed).toBeGreaterThan(0);
  });

  it('a frame the terminal never ACKs fails the command after 1 + 2 transmissions (PA00P016: at most 2 repeats): TIMEOUT', async () => {
    s = await setup('pty');
    s.sim.injectFaults({ dropFrames: 3 });
    const err = await rejection(s.terminal.statusEnquiry());
    expect(err.code).toBe('TIMEOUT');
    expect(err.details).toMatchObject({ attempts: 3 });
    expect(s.sim.stats.serial?.swallowed).toBe(3);
    // the line itself is fine: the next command works
    expect((await s.terminal.checkHealth('external')).ok).toBe(true);
  });

  it('garbage on the line is a PROTOCOL error event; the driver resynchronises', async () => {
    s = await setup('pty');
    const errors: KioskError[] = [];
    s.terminal.on('error', (e) => errors.push(e));
    const noise = new SerialPort({ path: s.pair!.devicePath, baudRate: 9600, lock: false, autoOpen: false });
    await new Promise<void>((r, j) => noise.open((e) => (e ? j(e) : r())));
    await new Promise<void>((r) => noise.write(Buffer.from([0xaa, 0xbb, 0xcc, 0x10, 0x41]), () => r()));
    await new Promise<void>((r) => noise.drain(() => r()));
    await new Promise((r) => setTimeout(r, 50));
    expect(await s.terminal.authorize(50)).toMatchObject({ approved: true });
    await new Promise<void>((r) => noise.close(() => r()));
    expect(errors.some((e) => e.code === 'PROTOCOL' && /stray/.test(e.message))).toBe(true);
  });

  it('unplug mid-transaction: DEVICE_OFFLINE, status offline; replug: online again, re-registered; statusEnquiry settles it', async () => {
    s = await setup('pty', { autoCard: false });
    const statuses: DeviceStatus[] = [];
    s.terminal.on('status', (st) => statuses.push(st));
    const sent = commands(s);
    const outcome = rejection(s.terminal.authorize(6000));
    await new Promise((r) => s.terminal.once('prompt', r));
    await s.pair!.unplug();
    const err = await outcome;
    expect(err.code).toBe('DEVICE_OFFLINE');
    expect(err.details.unknownOutcome).toBe(true);
    await until(() => statuses.some((st) => !st.online), 3000, 'offline status');
    expect(s.terminal.status()).toMatchObject({ online: false, lifecycle: 'enabled' });
    expect((await rejection(s.terminal.authorize(1))).code).toBe('DEVICE_OFFLINE');
    await until(() => s.sim.last()?.result === 'aborted', 3000, 'simulator noticing the unplug');

    await s.pair!.replug();
    await until(() => s.terminal.status().online, 5000, 'online again');
    expect(statuses[statuses.length - 1]).toMatchObject({ online: true, lifecycle: 'enabled' });
    expect(sent.filter((c) => c.kind === 'registration')).toHaveLength(1); // the re-registration
    const st = await s.terminal.statusEnquiry();
    expect(s.sim.last()).toMatchObject({ result: 'aborted', amount: 6000 });
    expect(st).toMatchObject({ approved: false, lastTransaction: 'none' }); // an aborted payment leaves no receipt
    s.sim.insertCard();
    expect(await s.terminal.authorize(10)).toMatchObject({ approved: true });
  });
});

describe('ZvtTerminal over TCP: terminal going away', () => {
  let s: SimulatedTerminal;
  afterEach(async () => s?.cleanup());

  it('line drop mid-transaction → DEVICE_OFFLINE; terminal back → online, re-registered', async () => {
    s = await setup('tcp', { autoCard: false });
    const statuses: DeviceStatus[] = [];
    s.terminal.on('status', (st) => statuses.push(st));
    const outcome = rejection(s.terminal.authorize(800));
    await new Promise((r) => s.terminal.once('prompt', r));
    await s.sim.disconnect();
    expect((await outcome).code).toBe('DEVICE_OFFLINE');
    await until(() => statuses.some((st) => !st.online), 3000, 'offline status');
    await s.sim.reconnect();
    await until(() => s.terminal.status().online, 5000, 'online again');
    expect(s.sim.last()).toMatchObject({ result: 'aborted' });
    expect(s.sim.last()).toMatchObject({ amount: 800 });
    expect(await s.terminal.statusEnquiry()).toMatchObject({ approved: false, lastTransaction: 'none' });
  });

  it('a blip shorter than the debounce is never reported offline', async () => {
    s = await setup('tcp', {}, { offlineDebounceMs: 1000, reconnect: { initialMs: 20, maxMs: 100 } });
    const statuses: DeviceStatus[] = [];
    s.terminal.on('status', (st) => statuses.push(st));
    await s.sim.disconnect();
    await s.sim.reconnect();
    await until(() => s.sim.connected, 2000, 'reconnect');
    await new Promise((r) => setTimeout(r, 100));
    expect(await s.terminal.authorize(5)).toMatchObject({ approved: true });
    expect(statuses).toEqual([]);
  });

  it('claim fails with DEVICE_OFFLINE when nothing listens', async () => {
    s = await simulatedTerminal('tcp');
    await s.sim.disconnect();
    await s.terminal.open();
    expect((await rejection(s.terminal.claim())).code).toBe('DEVICE_OFFLINE');
    expect(s.terminal.status().lifecycle).toBe('opened');
  });
});
