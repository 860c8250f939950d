import { formatIssues } from '../../config/fields';
import type { Clock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { describeScope, verifyEnvelope, type Envelope, type RejectReason, type TrustedKeys } from '../../protocol/signed-envelope';
import { commandTopic } from '../../protocol/control/topics';
import {
  COMMAND_ARGS,
  COMMAND_ID,
  COMMAND_NAMES,
  commandBodySchema,
  MAX_RESULT_ERROR_CHARS,
  payloadSha256,
  type CommandArgs,
  type CommandBody,
  type CommandName,
  type CommandResult,
} from '../../protocol/control/commands';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

/**
 * What the runtime does for each command; injected by the composition root (see command-handlers.ts). `hq_refund`
 * may be absent (a runner without HQ refunds: the command fails, HQ sends it again later: hq/refunds/kiosk-notice.ts).
 */
export type CommandHandlers = { [N in Exclude<CommandName, OptionalCommand>]: (args: CommandArgs<N>) => Promise<unknown> } & {
  [N in OptionalCommand]?: (args: CommandArgs<N>) => Promise<unknown>;
};
type OptionalCommand = 'hq_refund';

export interface CommandRunnerDeps {
  db: KioskDb;
  trust: TrustedKeys;
  clock: Clock;
  identity: { store: string; device: string };
  handlers: CommandHandlers;
}

/** The signed body of a command, validated: the body schema, then the args schema of that command. */
function checkBody(body: unknown): string | null {
  const b = commandBodySchema.safeParse(body);
  if (!b.success) return formatIssues(b.error.issues, body).join('; ');
  const a = COMMAND_ARGS[b.data.name].safeParse(b.data.args);
  if (!a.success) return formatIssues(a.error.issues.map((i) => ({ ...i, path: ['args', ...i.path] })), b.data).join('; ');
  return null;
}

/**
 * Refusals that come after the signature and the target (kind, scope) verified: the envelope is HQ's own, for this
 * kiosk, so its id and name may be echoed. For every other refusal the payload may be anyone's.
 */
const SIGNED_FOR_US: ReadonlySet<RejectReason> = new Set<RejectReason>(['expired', 'not_yet_valid', 'not_newer', 'invalid_body']);

/** Id and name of an envelope whose signature and target verified (null when not a well-formed id / known name). */
function peek(raw: Buffer | string): { id: string | null; name: string | null } {
  try {
    const body = (boundedJsonParse(raw, { maxBytes: JSON_LIMITS.envelope }) as { body?: { id?: unknown; name?: unknown } }).body;
    return {
      id: typeof body?.id === 'string' && COMMAND_ID.test(body.id) ? body.id : null,
      name: typeof body?.name === 'string' && (COMMAND_NAMES as string[]).includes(body.name) ? body.name : null,
    };
  } catch {
    return { id: null, name: null };
  }
}

/**
 * The `cmd/result` of a refused command. Only a command signed by HQ for this kiosk has its id and name echoed;
 * anything else (forged, unknown key, malformed, another kiosk's) is reported as `{id: null, name: null}` with the
 * SHA-256 of the raw payload, never with fields an attacker chose. `error` is bounded.
 */
function refusal(raw: Buffer | string, reason: RejectReason, detail: string): CommandResult {
  const error = detail.length > MAX_RESULT_ERROR_CHARS ? `${detail.slice(0, MAX_RESULT_ERROR_CHARS - 1)}…` : detail;
  const who = SIGNED_FOR_US.has(reason) ? peek(raw) : { id: null, name: null };
  return { v: 1, ...who, status: 'rejected', reason, error, ...(who.id === null ? { payloadSha256: payloadSha256(raw) } : {}) };
}

/**
 * Runs signed remote commands from `kiosk/v1/{store}/{device}/cmd`.
 *
 * Rules:
 * - The envelope must be kind `command`, scoped to exactly this device (the topic's), unexpired, signed by a
 *   trusted key; its body `{id, name, args}` with args valid for that command (`invalid_body` naming the field).
 * - At most once: the id is recorded (state `running`) in its own committed transaction BEFORE the handler runs,
 *   so neither a replay nor a restart mid-command runs it again: a known id is `already_executed`.
 * - A handler that throws gives status `failed` with its message; the outcome is stored with the id.
 * - Offers are serialized (two copies delivered at once cannot both run).
 */
export class CommandRunner {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: CommandRunnerDeps) {}

  /** Verifies and (at most once) runs one command; returns the `cmd/result` payload. Never throws. */
  offer(topic: string, raw: Buffer | string): Promise<CommandResult> {
    const next = this.chain.then(() => this.handle(topic, raw));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async handle(topic: string, raw: Buffer | string): Promise<CommandResult> {
    const { store, device } = this.deps.identity;
    const rejected = (reason: RejectReason, detail: string): CommandResult => refusal(raw, reason, detail);
    if (topic !== commandTopic(store, device)) return rejected('wrong_scope', `${topic} is not this kiosk's command topic`);
    const now = this.deps.clock.now();
    const verdict = verifyEnvelope<CommandBody>(raw, this.deps.trust, now, {
      kind: 'command',
      scope: (s) => (s.kind === 'device' && s.store === store && s.device === device ? null : `command is for ${describeScope(s)}, this kiosk is ${store}/${device}`),
      body: checkBody,
    });
    if (!verdict.ok) return rejected(verdict.reason, verdict.detail);
    const env: Envelope<CommandBody> = verdict.envelope;
    const { id, name } = env.body;
    const args = COMMAND_ARGS[name].parse(env.body.args);

    const fresh = await this.deps.db.transaction(async (tx) => {
      const seen = await tx.get<{ state: string }>('SELECT state FROM executed_commands WHERE id = ?', [id]);
      if (seen) return false;
      await tx.run("INSERT INTO executed_commands (id, name, key_id, state, received_at) VALUES (?, ?, ?, 'running', ?)", [id, name, env.keyId, now]);
      return true;
    });
    if (!fresh) return { v: 1, id, name, status: 'rejected', reason: 'already_executed', error: `command ${id} was received before; not run again` };

    let out: CommandResult;
    try {
      const handler = this.deps.handlers[name] as ((a: typeof args) => Promise<unknown>) | undefined;
      if (!handler) throw new Error(`command ${name} is not supported by this kiosk`);
      const result = await handler(args);
      out = { v: 1, id, name, status: 'ok', ...(result === undefined ? {} : { result }) };
    } catch (e) {
      out = { v: 1, id, name, status: 'failed', error: e instanceof Error ? e.message : String(e) };
    }
    await this.deps.db.transaction((tx) =>
      tx.run('UPDATE executed_commands SET state = ?, result = ?, error = ?, finished_at = ? WHERE id = ?', [
        out.status,
        out.result === undefined ? null : safeJson(out.result),
        out.error ?? null,
        this.deps.clock.now(),
        id,
      ]),
    );
    return out;
  }
}

function safeJson(v: unknown): string | null {
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    return null;
  }
}
