import type { TimerHandle } from '../../kernel/clock';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { payloadSha256, type CommandResult } from '../../protocol/control/commands';
import { commandTopic } from '../../protocol/control/topics';
import { serializeEnvelope } from '../../protocol/signed-envelope';
import { isValidId, levelsUnderRoot, underRoot } from '../../protocol/topics';
import type { ConsoleContext, ConsoleService } from '../console/types';
import { signCommand } from '../signing';
import { writeBesideIngest } from '../ingest/pg-db';

/**
 * Signed commands from the console: {@link sendCommand} signs with HQ's key, records a `commands` row (`sent`),
 * publishes on `kiosk/v1/S/D/cmd` (QoS 1) and audits `command.send`; {@link commandResultsService} records each
 * kiosk's `cmd/result` on its row (`ok` / `failed` / `rejected` and the result) and marks rows that got no answer
 * within {@link COMMAND_RESULT_TIMEOUT_MS} `timeout`.
 */

export const COMMAND_RESULT_TIMEOUT_MS = 2 * 60_000;
/** A result larger than this is kept as its status and error only. */
const MAX_RESULT_TEXT = 256 * 1024;

export type SendOutcome = { ok: true; id: string } | { ok: false; status: 400 | 503; message: string };

export async function sendCommand(
  ctx: ConsoleContext,
  user: string,
  storeId: string,
  deviceId: string,
  name: string,
  args: Record<string, unknown>,
  opts: { batchId?: string } = {},
): Promise<SendOutcome> {
  if (!ctx.mqtt) return { ok: false, status: 503, message: 'No broker: hq serve was started without --broker, so commands cannot be sent.' };
  if (!ctx.hqKey) return { ok: false, status: 503, message: 'No signing key: hq serve was started without --key, so commands cannot be signed.' };
  if (!ctx.mqtt.connected) return { ok: false, status: 503, message: 'The broker is unreachable right now: the command was not sent. Try again when it is back.' };
  const now = ctx.clock.now();
  let env;
  try {
    env = signCommand({ store: storeId, device: deviceId, name, args, key: ctx.hqKey, now });
  } catch (e) {
    return { ok: false, status: 400, message: (e as Error).message };
  }
  const id = env.body.id;
  const text = serializeEnvelope(env);
  await writeBesideIngest(ctx.store.db, (tx) =>
    tx.run(
      "INSERT INTO commands (id, store_id, device_id, name, args, sent_by, sent_at, status, payload_sha256, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'sent', ?, ?)",
      [id, storeId, deviceId, name, JSON.stringify(args), user, now, payloadSha256(text), opts.batchId ?? null],
    ),
  );
  await ctx.audit.record({ actor: user, action: 'command.send', target: `${storeId}/${deviceId}`, detail: { id, name, args, ...(opts.batchId ? { batch: opts.batchId } : {}) } });
  try {
    await ctx.mqtt.publishAsync(commandTopic(storeId, deviceId), text, { qos: 1, retain: false });
  } catch (e) {
    await writeBesideIngest(ctx.store.db, (tx) =>
      tx.run("UPDATE commands SET status = 'failed', result = ?, result_at = ? WHERE id = ?", [JSON.stringify({ error: `not published: ${(e as Error).message}` }), ctx.clock.now(), id]),
    );
  }
  ctx.live.publish('commands', storeId);
  return { ok: true, id };
}

/** The `kiosk/v1/+/+/cmd/result` filter. */
export const COMMAND_RESULT_FILTER = underRoot('+', '+', 'cmd', 'result');

function parseResultTopic(topic: string): { storeId: string; deviceId: string } | null {
  const p = levelsUnderRoot(topic);
  if (p?.length !== 4 || p[2] !== 'cmd' || p[3] !== 'result' || !isValidId(p[0]) || !isValidId(p[1])) return null;
  return { storeId: p[0], deviceId: p[1] };
}

const STATUSES = new Set(['ok', 'failed', 'rejected']);

/**
 * Records a `cmd/result` on the command's row; only a row of the kiosk whose topic it came on (a kiosk cannot
 * answer for another). Returns the store of the updated row, or null when nothing matched.
 */
export async function recordCommandResult(ctx: Pick<ConsoleContext, 'store' | 'clock'>, topic: string, payload: Buffer): Promise<string | null> {
  const where = parseResultTopic(topic);
  if (!where) return null;
  let r: Partial<CommandResult>;
  try {
    const v = boundedJsonParse(payload, { maxBytes: JSON_LIMITS.commandResult });
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    r = v as Partial<CommandResult>;
  } catch {
    return null;
  }
  if (typeof r.status !== 'string' || !STATUSES.has(r.status)) return null;
  let text = JSON.stringify(r);
  if (text.length > MAX_RESULT_TEXT) text = JSON.stringify({ status: r.status, error: typeof r.error === 'string' ? r.error.slice(0, 300) : undefined, truncated: true });
  const now = ctx.clock.now();
  const [matchSql, matchParam] =
    typeof r.id === 'string' ? ['id = ?', r.id] : typeof r.payloadSha256 === 'string' ? ['payload_sha256 = ?', r.payloadSha256] : [null, null];
  if (!matchSql) return null;
  const res = await writeBesideIngest(ctx.store.db, (tx) =>
    tx.run(`UPDATE commands SET status = ?, result = ?, result_at = ? WHERE ${matchSql} AND store_id = ? AND device_id = ?`, [r.status, text, now, matchParam, where.storeId, where.deviceId]),
  );
  return res.changes > 0 ? where.storeId : null;
}

/** Marks commands without an answer for `timeoutMs` as `timeout`; returns the stores touched. */
export async function expireCommands(ctx: Pick<ConsoleContext, 'store' | 'clock'>, timeoutMs = COMMAND_RESULT_TIMEOUT_MS): Promise<string[]> {
  const now = ctx.clock.now();
  return writeBesideIngest(ctx.store.db, async (tx) => {
    const rows = await tx.all<{ id: string; store_id: string }>("SELECT id, store_id FROM commands WHERE status = 'sent' AND sent_at <= ?", [now - timeoutMs]);
    for (const r of rows) await tx.run("UPDATE commands SET status = 'timeout', result_at = ? WHERE id = ? AND status = 'sent'", [now, r.id]);
    return [...new Set(rows.map((r) => r.store_id))];
  });
}

/** Listens for `cmd/result` (when the console has a broker) and expires unanswered commands every `sweepMs`. */
export function commandResultsService(opts: { timeoutMs?: number; sweepMs?: number } = {}): ConsoleService {
  return (ctx) => {
    const client = ctx.mqtt;
    let stopped = false;
    let timer: TimerHandle | null = null;
    let pending: Promise<unknown> = Promise.resolve();
    const queue = (fn: () => Promise<void>) => {
      pending = pending.then(fn).catch((e: unknown) => console.error(`hq console: command results: ${(e as Error).message}`));
    };
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!parseResultTopic(topic)) return;
      queue(async () => {
        const store = await recordCommandResult(ctx, topic, payload);
        if (store) ctx.live.publish('commands', store);
      });
    };
    const subscribe = (): void => {
      client?.subscribe(COMMAND_RESULT_FILTER, { qos: 1 }, (err) => err && console.error(`hq console: subscribe ${COMMAND_RESULT_FILTER}: ${err.message}`));
    };
    if (client) {
      client.on('message', onMessage);
      client.on('connect', subscribe);
      if (client.connected) subscribe();
    }
    const sweep = (): void => {
      if (stopped) return;
      queue(async () => {
        for (const s of await expireCommands(ctx, opts.timeoutMs)) ctx.live.publish('commands', s);
      });
      timer = ctx.clock.setTimeout(sweep, opts.sweepMs ?? 15_000);
    };
    sweep();
    return {
      async stop() {
        stopped = true;
        if (timer) ctx.clock.clearTimeout(timer);
        if (client) {
          client.off('message', onMessage);
          client.off('connect', subscribe);
        }
        await pending;
      },
    };
  };
}

export const COMMAND_RESULTS_SERVICE: ConsoleService = commandResultsService();
