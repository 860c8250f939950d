import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RejectReason } from '../signed-envelope';

/**
 * The wire of HQ's remote commands, shared by HQ (`hq cmd`, which signs them) and the kiosk (which runs them):
 * command names, the schema of each command's args, the signed body, the `cmd/result` payload.
 */

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

/** A command id: 1-128 letters, digits, `.`, `_`, `:`, `-`. */
export const COMMAND_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The body of a `command` envelope. */
export interface CommandBody {
  id: string;
  name: CommandName;
  args: Record<string, unknown>;
}

/** The schema of a command envelope's body (the args are checked against {@link COMMAND_ARGS} of its name). */
export const commandBodySchema = z
  .object({
    id: z.string({ error: 'expected a command id' }).regex(COMMAND_ID, { error: 'expected a command id (1-128 letters, digits, . _ : -)' }),
    name: z.enum(COMMAND_NAMES as [CommandName, ...CommandName[]], { error: `expected one of ${COMMAND_NAMES.map((n) => JSON.stringify(n)).join(', ')}` }),
    args: z.record(z.string(), z.unknown(), { error: 'expected an object of arguments' }),
  })
  .strict();

/** The `kiosk/v1/{store}/{device}/cmd/result` payload. */
export interface CommandResult {
  v: 1;
  /** null unless the command's signature and target verified. */
  id: string | null;
  name: string | null;
  /** With `id: null`: SHA-256 (hex) of the raw payload that was refused. */
  payloadSha256?: string;
  status: 'ok' | 'failed' | 'rejected';
  reason?: RejectReason;
  result?: unknown;
  error?: string;
}

/** A refusal's `error` text is cut to this many characters (it may quote the payload). */
export const MAX_RESULT_ERROR_CHARS = 300;

/** SHA-256 (hex) of the raw payload: lets HQ match a refusal to what it sent without the kiosk echoing its fields. */
export const payloadSha256 = (raw: Buffer | string): string => createHash('sha256').update(raw).digest('hex');
