import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimulatedClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../db/migrations';
import { CommandRunner, type CommandHandlers } from './commands';
import { MAX_RESULT_ERROR_CHARS } from '../../protocol/control/commands';
import type { EnvelopeFields } from '../../protocol/signed-envelope';
import { memoryTrust, signed, T0, testKey } from '../../test/support/trust';
import { commandTopic } from '../../protocol/control/topics';

const me = { store: 's1', device: 'd1' };
const TOPIC = commandTopic('s1', 'd1');
const hq = testKey();
const trust = memoryTrust(hq);

describe('remote commands', () => {
  let dir: string;
  let db: KioskDb;
  let clock: SimulatedClock;
  let calls: { name: string; args: unknown }[];

  const handlers = (over: Partial<CommandHandlers> = {}): CommandHandlers => {
    const h = (name: string) => async (args: unknown) => {
      calls.push({ name, args });
      return { done: name };
    };
    return {
      lock: h('lock'),
      unlock: h('unlock'),
      print_test: h('print_test'),
      doctor: h('doctor'),
      resend: h('resend'),
      eod: h('eod'),
      rebirth: h('rebirth'),
      return: h('return'),
      hq_refund: h('hq_refund'),
      ...over,
    };
  };
  const runner = (over: Partial<CommandHandlers> = {}) => new CommandRunner({ db, trust, clock, identity: me, handlers: handlers(over) });
  const command = (id: string, name: string, args: unknown = {}, over: Partial<EnvelopeFields> = {}) =>
    signed(hq, { kind: 'command', scope: { kind: 'device', ...me }, body: { id, name, args }, expiresAt: new Date(clock.now() + 600_000).toISOString(), ...over }, clock.now());

  async function openDb(): Promise<KioskDb> {
    const d = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
    await migrate(d);
    return d;
  }

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-cmd-'));
    clock = new SimulatedClock(T0);
    calls = [];
    db = await openDb();
  });
  afterEach(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a command once with validated args and returns its result', async () => {
    const r = await runner().offer(TOPIC, command('c-1', 'resend', { fromSeq: 42 }));
    expect(r).toEqual({ v: 1, id: 'c-1', name: 'resend', status: 'ok', result: { done: 'resend' } });
    expect(calls).toEqual([{ name: 'resend', args: { fromSeq: 42 } }]);
  });

  it('already_executed for the same id again, also after the database is reopened', async () => {
    const raw = command('c-2', 'lock', { reason: 'cleaning' });
    expect((await runner().offer(TOPIC, raw)).status).toBe('ok');
    expect(await runner().offer(TOPIC, raw)).toMatchObject({ id: 'c-2', name: 'lock', status: 'rejected', reason: 'already_executed' });
    // a new envelope reusing the id is refused too
    expect(await runner().offer(TOPIC, command('c-2', 'unlock'))).toMatchObject({ status: 'rejected', reason: 'already_executed' });
    await db.close();
    db = await openDb();
    expect(await runner().offer(TOPIC, raw)).toMatchObject({ status: 'rejected', reason: 'already_executed' });
    expect(calls.map((c) => c.name)).toEqual(['lock']);
  });

  it('records the id before the handler runs, so a crash mid-command never runs it again', async () => {
    let seenWhileRunning: unknown;
    const raw = command('c-3', 'rebirth');
    const r = runner({
      rebirth: async () => {
        seenWhileRunning = await db.read.get('SELECT id, state FROM executed_commands WHERE id = ?', ['c-3']);
        await db.close(); // the process dies here
        throw new Error('killed');
      },
    });
    await expect(r.offer(TOPIC, raw)).rejects.toThrow(/closed/);
    expect(seenWhileRunning).toEqual({ id: 'c-3', state: 'running' });
    db = await openDb();
    expect(await runner().offer(TOPIC, raw)).toMatchObject({ status: 'rejected', reason: 'already_executed' });
    expect(calls).toEqual([]);
  });

  it('two copies delivered at once run once', async () => {
    const raw = command('c-4', 'doctor');
    const r = runner();
    const [a, b] = await Promise.all([r.offer(TOPIC, raw), r.offer(TOPIC, raw)]);
    expect([a.status, b.status].sort()).toEqual(['ok', 'rejected']);
    expect(calls.map((c) => c.name)).toEqual(['doctor']);
  });

  it('a handler that throws is failed, with its message, and is not run again', async () => {
    const raw = command('c-5', 'print_test');
    const r = runner({ print_test: async () => Promise.reject(new Error('paper out')) });
    expect(await r.offer(TOPIC, raw)).toEqual({ v: 1, id: 'c-5', name: 'print_test', status: 'failed', error: 'paper out' });
    expect(await db.read.get('SELECT state, error FROM executed_commands WHERE id = ?', ['c-5'])).toEqual({ state: 'failed', error: 'paper out' });
    expect(await r.offer(TOPIC, raw)).toMatchObject({ reason: 'already_executed' });
  });

  it('invalid_body: unknown command, bad args (naming the field)', async () => {
    expect(await runner().offer(TOPIC, command('c-6', 'resend', { fromSeq: 'x' }))).toEqual({
      v: 1,
      id: 'c-6',
      name: 'resend',
      status: 'rejected',
      reason: 'invalid_body',
      error: 'args.fromSeq: expected integer ≥ 1, got "x"',
    });
    expect(await runner().offer(TOPIC, command('c-7', 'format_disk'))).toMatchObject({ reason: 'invalid_body', error: expect.stringMatching(/^name: expected one of "lock"/) });
    expect(await runner().offer(TOPIC, command('c-8', 'unlock', { force: true }))).toMatchObject({ reason: 'invalid_body', error: 'args.force: unknown field' });
    expect(calls).toEqual([]);
    // a rejected command was not recorded: once fixed it runs
    expect((await runner().offer(TOPIC, command('c-6', 'resend', { fromSeq: 1 }))).status).toBe('ok');
  });

  it('wrong_kind: a config envelope offered as a command', async () => {
    const config = signed(hq, { kind: 'config', scope: { kind: 'device', ...me }, body: { id: 'c-9', name: 'lock', args: {} } }, clock.now());
    expect(await runner().offer(TOPIC, config)).toMatchObject({ status: 'rejected', reason: 'wrong_kind' });
    expect(calls).toEqual([]);
  });

  it('wrong_scope: another device, a store-wide command, or the wrong topic', async () => {
    const other = signed(hq, { kind: 'command', scope: { kind: 'device', store: 's1', device: 'd2' }, body: { id: 'c-10', name: 'lock', args: {} } }, clock.now());
    expect(await runner().offer(TOPIC, other)).toMatchObject({ status: 'rejected', reason: 'wrong_scope', error: 'command is for device s1/d2, this kiosk is s1/d1' });
    const storeWide = signed(hq, { kind: 'command', scope: { kind: 'store', store: 's1' }, body: { id: 'c-11', name: 'lock', args: {} } }, clock.now());
    expect(await runner().offer(TOPIC, storeWide)).toMatchObject({ reason: 'wrong_scope' });
    expect(await runner().offer(commandTopic('s1', 'd2'), command('c-12', 'lock'))).toMatchObject({ reason: 'wrong_scope' });
    expect(calls).toEqual([]);
  });

  it('expired, unknown key, bad signature and malformed commands never run', async () => {
    const raw = command('c-13', 'eod', { date: '2026-01-01' });
    clock.advance(600_000);
    expect(await runner().offer(TOPIC, raw)).toMatchObject({ id: 'c-13', status: 'rejected', reason: 'expired' });
    const stranger = testKey();
    const foreign = signed(stranger, { kind: 'command', scope: { kind: 'device', ...me }, body: { id: 'c-14', name: 'lock', args: {} } }, clock.now());
    expect(await runner().offer(TOPIC, foreign)).toMatchObject({ status: 'rejected', reason: 'unknown_key' });
    expect(await runner().offer(TOPIC, command('c-15', 'lock').replace('c-15', 'c-16'))).toMatchObject({ status: 'rejected', reason: 'bad_signature' });
    expect(await runner().offer(TOPIC, 'garbage')).toEqual({
      v: 1,
      id: null,
      name: null,
      status: 'rejected',
      reason: 'malformed',
      error: expect.any(String),
      payloadSha256: createHash('sha256').update('garbage').digest('hex'),
    });
    expect(calls).toEqual([]);
  });

  it('a refused command that did not verify echoes nothing its sender chose: id and name null, the payload hash, a bounded error', async () => {
    const forgedId = 'c-20';
    const stranger = testKey();
    const sha = (raw: string) => createHash('sha256').update(raw).digest('hex');
    const cases: { reason: string; raw: string }[] = [
      { reason: 'bad_signature', raw: command(forgedId, 'lock').replace('"lock"', '"unlock"') },
      { reason: 'unknown_key', raw: signed(stranger, { kind: 'command', scope: { kind: 'device', ...me }, body: { id: forgedId, name: 'lock', args: {} } }, clock.now()) },
      { reason: 'wrong_scope', raw: signed(hq, { kind: 'command', scope: { kind: 'device', store: 's1', device: 'd2' }, body: { id: forgedId, name: 'lock', args: {} } }, clock.now()) },
      { reason: 'malformed', raw: JSON.stringify({ body: { id: forgedId, name: 'lock', args: {} }, sig: 'x'.repeat(5000) }) },
      { reason: 'malformed', raw: `{"body":{"id":"${forgedId}","name":"lock"},${'"x":1,'.repeat(2000)}` },
    ];
    for (const c of cases) {
      const r = await runner().offer(TOPIC, c.raw);
      expect(r).toMatchObject({ v: 1, id: null, name: null, status: 'rejected', reason: c.reason, payloadSha256: sha(c.raw) });
      expect(r.error!.length).toBeLessThanOrEqual(MAX_RESULT_ERROR_CHARS);
      expect(JSON.stringify(r)).not.toContain(forgedId);
    }
    // signed by HQ for this kiosk: its own id and name are reported, no hash needed
    const raw = command('c-21', 'lock');
    clock.advance(600_000);
    const expired = await runner().offer(TOPIC, raw);
    expect(expired).toMatchObject({ id: 'c-21', name: 'lock', reason: 'expired' });
    expect(expired.payloadSha256).toBeUndefined();
    expect(calls).toEqual([]);
  });
});
