import { z } from 'zod';
import type { ClientMessage } from '../../protocol/screen';
import { clip, joinPath } from '../../kernel/json/bounded-format';
import { tryParseJson } from '../../kernel/json/bounded-json';

const lang = z.enum(['zh-CN', 'en']);
const lineId = z.string().regex(/^L\d{1,6}$/);
const orderId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

const command = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('language'), lang }).strict(),
  z.object({ kind: z.literal('start') }).strict(),
  z.object({ kind: z.literal('checkout') }).strict(),
  z.object({ kind: z.literal('back_to_shopping') }).strict(),
  z.object({ kind: z.literal('pay'), method: z.string().regex(/^[a-z_]{1,32}$/) }).strict(),
  z.object({ kind: z.literal('cancel_payment') }).strict(),
  z.object({ kind: z.literal('help') }).strict(),
  z.object({ kind: z.literal('still_here') }).strict(),
  z.object({ kind: z.literal('request_void'), lineId }).strict(),
  z.object({ kind: z.literal('use_points'), use: z.boolean() }).strict(),
  z.object({ kind: z.literal('receipt'), choice: z.enum(['print', 'e_receipt', 'none']) }).strict(),
  z.object({ kind: z.literal('done') }).strict(),
  z.object({ kind: z.literal('attendant_open') }).strict(),
  z.object({ kind: z.literal('attendant_close') }).strict(),
  z.object({ kind: z.literal('attendant_pin'), pin: z.string().regex(/^\d{4,12}$/) }).strict(),
  z.object({ kind: z.literal('attendant_approve') }).strict(),
  z.object({ kind: z.literal('attendant_reject') }).strict(),
  z.object({ kind: z.literal('attendant_cancel_order') }).strict(),
  z.object({ kind: z.literal('attendant_resolve'), outcome: z.enum(['approved', 'declined']) }).strict(),
  z.object({ kind: z.literal('attendant_recheck') }).strict(),
  z.object({ kind: z.literal('attendant_tab'), tab: z.enum(['order', 'orders', 'lane']) }).strict(),
  z.object({ kind: z.literal('attendant_void_line'), lineId }).strict(),
  z.object({ kind: z.literal('attendant_lane'), open: z.boolean() }).strict(),
  z.object({ kind: z.literal('attendant_health') }).strict(),
  z.object({ kind: z.literal('attendant_reprint'), orderId }).strict(),
  z.object({ kind: z.literal('attendant_refund'), orderId, lineIds: z.array(lineId).min(1).max(200).optional() }).strict(),
  z.object({ kind: z.literal('attendant_refund_recheck') }).strict(),
  z.object({ kind: z.literal('attendant_refund_decide'), refundAttemptId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/), outcome: z.enum(['refunded', 'not_refunded']) }).strict(),
  z
    .object({
      kind: z.literal('attendant_return'),
      orderId,
      // the alphabet of a return id (runtime/payments/returns.ts RETURN_ID) and of a reason id (config `returns.reasons`)
      returnId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/),
      reason: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
      lineIds: z.array(lineId).min(1).max(200).optional(),
      supervisorPin: z.string().regex(/^\d{4,12}$/).optional(),
    })
    .strict(),
]);

const message = z.object({ type: z.literal('command'), id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), command }).strict();

/** Frames larger than this are refused unread. */
export const MAX_FRAME_BYTES = 4096;
/** A command nests 3 deep (message → command → lineIds); anything far deeper is refused before JSON.parse. */
export const MAX_FRAME_DEPTH = 8;

/**
 * Parses one frame from a screen. Rules: JSON text only, at most MAX_FRAME_BYTES, exactly the shape of
 * `ClientMessage` (unknown kinds or extra fields are refused). Returns the message, or an error text (never throws).
 */
export function parseClientMessage(raw: string): ClientMessage | { error: string; id: number | null } {
  if (Buffer.byteLength(raw, 'utf8') > MAX_FRAME_BYTES) return { error: 'frame too large', id: null };
  const parsed = tryParseJson(raw, { maxBytes: MAX_FRAME_BYTES, maxDepth: MAX_FRAME_DEPTH });
  if (!parsed.ok) return { error: parsed.problem === 'syntax' ? 'not JSON' : parsed.message, id: null };
  const json = parsed.value;
  const r = message.safeParse(json);
  if (r.success) return r.data;
  const given = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  // only an id the client could have sent correctly is echoed (never -1, which means "no id")
  const id = typeof given === 'number' && Number.isSafeInteger(given) && given >= 0 ? given : null;
  return { error: clip(`invalid command: ${r.error.issues.slice(0, 5).map((i) => `${joinPath(i.path) || '(root)'} ${i.message}`).join('; ')}`, 500), id };
}
