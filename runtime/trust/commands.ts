import { z } from 'zod';
import { formatIssues } from '../../config/fields';
import type { Clock } from '../clock';
import type { KioskDb } from '../db/database';
import { describeScope, verifyEnvelope, type Envelope, type RejectReason, type TrustedKeys } from './envelope';
import { commandTopic } from './topics';

/** The remote commands a kiosk knows, each with the zod schema of its args. */
export const COMMAND_ARGS = {
  lock: z.object({ reason: z.string({ error: 'expected text' }).optional() }).strict(),
  unlock: z.object({}).strict(),
  print_test: z.object({}).strict(),
  doctor: z.object({}).strict(),
  resend: z.object({ fromSeq: z.number({ error: 'expected integer ≥ 1' }).int({ error: 'expected integer ≥ 1' }).min(1, { error: 'expected integer ≥ 1' }) }).strict(),
  eod: z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date YYYY-MM-DD' }).optional() }).strict(),
  rebirth: z.object({}).strict(),
} as const;

export type CommandName = keyof typeof COMMAND_ARGS;
export const COMMAND_NAMES = Object.keys(COMMAND_ARGS) as CommandName[];
export type CommandArgs<N extends CommandName> = z.infer<(typeof COMMAND_ARGS)[N]>;

/** What the runtime does for each command; injected by the composition root. */
export type CommandHandlers = { [N in CommandName]: (args: CommandArgs<N>) => Promise<unknown> };

/** The body of a `command` envelope. */
export interface CommandBody {
  id: string;
  name: CommandName;
  args: Record<string, unknown>;
}

const bodySchema = z
  .object({
    id: z.string({ error: 'expected a command id' }).regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: 'expected a command id (1-128 letters, digits, . _ : -)' }),
    name: z.enum(COMMAND_NAMES as [CommandName, ...CommandName[]], { error: `expected one of ${COMMAND_NAMES.map((n) => JSON.stringify(n)).join(', ')}` }),
    args: z.record(z.string(), z.unknown(), { error: 'expected an object of arguments' }),
  })
  .strict();

/** The `kiosk/v1/{store}/{device}/cmd/result` payload. */
export interface CommandResult {
  v: 1;
  /** null when the envelope was too broken to say. */
  id: string | null;
  name: string | null;
  status: 'ok' | 'failed' | 'rejected';
  reason?: RejectReason;
  result?: unknown;
  error?: string;
}

export interface CommandRunnerDeps {
  db: KioskDb;
  trust: TrustedKeys;
  clock: Clock;
  identity: { store: string; device: string };
  handlers: CommandHandlers;
}

/** The signed body of a command, validated: the body schema, then the args schema of that command. */
function checkBody(body: unknown): string | null {
  const b = bodySchema.safeParse(body);
  if (!b.success) return formatIssues(b.error.issues, body).join('; ');
  const a = COMMAND_ARGS[b.data.name].safeParse(b.data.args);
  if (!a.success) return formatIssues(a.error.issues.map((i) => ({ ...i, path: ['args', ...i.path] })), b.data).join('; ');
  return null;
}

/** Best-effort id and name of an envelope for the result payload (null when unreadable). */
function peek(raw: Buffer | string): { id: string | null; name: string | null } {
  try {
    const body = (JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as { body?: { id?: unknown; name?: unknown } }).body;
    return { id: typeof body?.id === 'string' ? body.id : null, name: typeof body?.name === 'string' ? body.name : null };
  } catch {
    return { id: null, name: null };
  }
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
    const rejected = (reason: RejectReason, detail: string): CommandResult => ({ v: 1, ...peek(raw), status: 'rejected', reason, error: detail });
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
      const handler = this.deps.handlers[name] as (a: typeof args) => Promise<unknown>;
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
