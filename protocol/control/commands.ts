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
  /**
   * An after-sales return HQ approved (console order page): run at the kiosk under the store's returns policy, paid
   * back through the methods the order used; idempotent on `returnId` (the same id again answers the first result).
   */
  return: z
    .object({
      orderId: z.string({ error: 'expected an order id' }).regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: 'expected an order id' }),
      returnId: z.string({ error: 'expected a return id' }).regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: 'expected a return id (1-128 letters, digits, . _ : -)' }),
      reason: z.string({ error: 'expected a reason id' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'expected a reason id' }),
      /** The HQ user who approved it (journaled as `hq:<user>`). */
      approvedBy: z.string({ error: 'expected a user name' }).min(1, { error: 'expected a user name' }).max(64, { error: 'expected a user name of at most 64 characters' }),
      lineIds: z.array(z.string().regex(/^L\d{1,6}$/, { error: 'expected a line id such as L1' }), { error: 'expected a list of line ids' }).min(1).max(200).optional(),
      amount: z.number({ error: 'expected integer ≥ 1' }).int({ error: 'expected integer ≥ 1' }).min(1, { error: 'expected integer ≥ 1' }).max(Number.MAX_SAFE_INTEGER).optional(),
    })
    .strict(),
  /**
   * A refund HQ made itself at a wallet channel (hq/refunds/hq-refund.ts), now `refunded` there: the kiosk records it
   * on the order without paying anything back (runtime/payments/hq-refund-record.ts), so the lane cannot pay the same
   * money again; idempotent on `refundId` (the same refund again changes nothing).
   */
  hq_refund: z
    .object({
      orderId: z.string({ error: 'expected an order id' }).regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: 'expected an order id' }),
      refundId: z.string({ error: 'expected a refund id' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'expected a refund id (1-64 letters, digits, . _ -)' }),
      amount: z.number({ error: 'expected integer ≥ 1' }).int({ error: 'expected integer ≥ 1' }).min(1, { error: 'expected integer ≥ 1' }).max(Number.MAX_SAFE_INTEGER),
      channel: z.enum(['alipay', 'wechat', 'unionpay'], { error: 'expected one of "alipay", "wechat", "unionpay"' }),
      attemptId: z.string({ error: 'expected a payment attempt id' }).regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: 'expected a payment attempt id' }),
      channelRefundNo: z.string({ error: 'expected a refund number' }).regex(/^[A-Za-z0-9_|*@-]{1,64}$/, { error: 'expected a refund number (1-64 letters, digits)' }),
      channelRefundId: z.string().max(128, { error: 'expected at most 128 characters' }).nullable().optional(),
      lineIds: z.array(z.string().regex(/^L\d{1,6}$/, { error: 'expected a line id such as L1' }), { error: 'expected a list of line ids' }).min(1).max(200).optional(),
      reason: z.string({ error: 'expected a reason id' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'expected a reason id' }),
      /** The HQ user (or `cli`) who made the refund. */
      requestedBy: z.string({ error: 'expected a user name' }).min(1, { error: 'expected a user name' }).max(64, { error: 'expected a user name of at most 64 characters' }),
    })
    .strict(),
} as const;

export type CommandName = keyof typeof COMMAND_ARGS;
export const COMMAND_NAMES = Object.keys(COMMAND_ARGS) as CommandName[];
/**
 * Commands about the kiosk as a whole, offered on the fleet pages and in batches (`return` and `hq_refund` are about
 * one order: the order page sends them).
 */
export const KIOSK_COMMANDS: readonly CommandName[] = COMMAND_NAMES.filter((n) => n !== 'return' && n !== 'hq_refund');
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
