/**
 * The wire format between the kiosk and its touchscreen (WebSocket `/ws`, JSON text frames). Pure types: compiled
 * into both the runtime and the browser bundle.
 *
 * Server → screen: `{ type: 'view', view: ScreenView }` on connect, on every committed order change, on terminal
 * prompts and on lane condition changes; `{ type: 'result', id, ok, error? }` answering a command.
 * Screen → server: `{ type: 'command', id, command: ScreenCommand }`.
 */

export type Lang = 'zh-CN' | 'en';
export type Text = Record<string, string>;

export type ScreenName =
  | 'welcome'
  | 'scanning'
  | 'attendant_wait'
  | 'idle_prompt'
  | 'payment_method'
  | 'paying'
  | 'checking_payment'
  | 'receipt_choice'
  | 'thank_you'
  | 'out_of_service'
  | 'lane_closed';

export interface ViewLine {
  lineId: string;
  name: Text;
  quantity: number;
  weightGrams: number | null;
  unitPrice: number;
  gross: number;
  discount: number;
  net: number;
  ageLimit: number | null;
  approved: boolean;
  voidRequested: boolean;
}

export interface ViewOrder {
  id: string;
  state: string;
  lines: ViewLine[];
  discounts: { label: Text; amount: number }[];
  subtotal: number;
  discountTotal: number;
  total: number;
  paid: number;
  due: number;
  memberId: string | null;
  pointsEarned: number;
  /**
   * The attached member as the kiosk knows it (HQ's member snapshot + its own ledger): customer type, points the
   * shopper may use, whether redemption is on. Null without a member (or until the balance is read).
   */
  member?: { customerType: 'personal' | 'business' | 'group'; available: number; canRedeem: boolean } | null;
  /** Member points used on this order and what they take off (0 when none). */
  pointsRedeemed?: number;
  pointsDiscount?: number;
  receiptNo: number | null;
  pending: { kind: 'age_check' | 'void' | 'help'; lineId?: string; ageLimit?: number }[];
  /** The payment attempt in doubt, if any (what the attendant resolves). */
  unknownPayment: { method: string; amount: number } | null;
  /** The line the last scan created or added to (highlighted and kept in view), if it is still there. */
  lastLineId: string | null;
}

/** A completed order as the attendant sees it (for reprints and refunds). */
export interface ViewPastOrder {
  id: string;
  receiptNo: number | null;
  state: string;
  completedAt: number | null;
  total: number;
  refunded: number;
  methods: string[];
  /**
   * A receipt (or reprint) of this order that has not printed: `pending` (refused before sending; it prints when the
   * printer is back) or `in_doubt` (sent, not confirmed; it is re-sent marked COPY). Null: nothing waiting.
   */
  receiptPrint?: 'pending' | 'in_doubt' | null;
  lines: { lineId: string; name: Text; quantity: number; weightGrams: number | null; net: number; refunded: boolean }[];
}

/** One row of the device health check (`kiosk doctor`). */
export interface ViewHealthRow {
  check: string;
  required: boolean;
  ok: boolean;
  reason: string;
}

export type AttendantTab = 'order' | 'orders' | 'lane';

/**
 * The store's returns policy (config `returns`) as the attendant's Return form needs it: the reasons in every
 * language, the window and who approves. `canApprove`: whether this session's attendant may approve a return at
 * the lane (false when only HQ approves, or supervisors approve and this attendant is not one); `why` says why not.
 */
export interface ViewReturnsPolicy {
  days: number;
  reasons: { id: string; label: Text }[];
  approval: 'attendant' | 'supervisor' | 'hq';
  canApprove: boolean;
  why: Text | null;
}

/**
 * What the shopper is asked to do (or told) while a payment runs: the one vocabulary every payment provider speaks
 * (the ZVT driver maps the terminal's intermediate status codes to it, drivers/terminal/zvt/prompts.ts; the QR
 * gateway provider names its steps with it) and the screen translates (screen-ui/i18n.ts `prompt_<code>`). No
 * device numbers and no English text cross this line: a code the providers cannot place is `other`.
 */
export type PromptCode =
  /** Insert, swipe or tap the card. */
  | 'insert_card'
  /** Enter the PIN on the terminal's PIN pad. */
  | 'enter_pin'
  /** The PIN was wrong: enter it again. */
  | 'pin_incorrect'
  /** The terminal asks the shopper something on its own display (amount confirmation, application, language, DCC). */
  | 'follow_terminal'
  /** The payment is being authorised (waiting for the host, sending bookings): leave the card where it is. */
  | 'processing'
  /** The terminal is busy with something that needs no action: wait. */
  | 'please_wait'
  /** Take the card out of the terminal. */
  | 'remove_card'
  /** The card could not be read: try again. */
  | 'try_again'
  /** The card or the payment was refused (unknown, expired, invalid, limit, declined): another card or method. */
  | 'card_not_accepted'
  /** Show your payment app's code to the scanner (shopper-presented QR). */
  | 'scan_payment_code'
  /** Scan the code on the screen with your payment app (merchant-presented QR). */
  | 'scan_merchant_qr'
  /** Confirm the payment in your app. */
  | 'confirm_in_app'
  /** The payment code shown is of a wallet this lane does not take: show another app's code. */
  | 'wallet_not_accepted'
  /** The code shown is no payment code of a wallet the kiosk knows: show the Alipay, WeChat Pay or UnionPay code. */
  | 'payment_code_unknown'
  /** Anything a provider could not place: the screen says "follow the terminal". */
  | 'other';

/** A prompt as a payment provider reports it: the code the shopper's screen shows, and a technician's text (logs only). */
export interface PaymentPrompt {
  code: PromptCode;
  /** For logs and technicians (e.g. the terminal's own status text); never shown to the shopper. */
  text: string;
}

export interface ScreenView {
  /** Increases with every view the server sends. */
  seq: number;
  lang: Lang;
  languages: Lang[];
  screen: ScreenName;
  storeName: string;
  currency: { code: string; minorUnits: number };
  order: ViewOrder | null;
  /** Payment methods on offer now. */
  methods: string[];
  /**
   * The payment running now: the prompt to show (a code: the page has the words, screen-ui/i18n.ts) and, for a
   * merchant-presented QR, the code to scan (SVG).
   */
  paying: { method: string; prompt: PromptCode | null; qrSvg: string | null } | null;
  /** A message for the shopper (scan refusals, declines): a code and its text in every language. */
  message: { code: string; text: Text } | null;
  receipt: { orderId: string; receiptNo: number | null; total: number; choice: 'print' | 'e_receipt' | 'none' | null; printed: 'ok' | 'failed' | null; qrSvg: string | null } | null;
  outOfService: { reasons: string[]; message: Text | null } | null;
  attendant: ViewAttendant;
  /** The lane is closed to new shoppers (by the attendant or HQ), with the reason. */
  laneClosed: { reason: string } | null;
  /** The store's look (config `screen.branding`): CSS hex colours and the logo's URL on this server, if any. */
  branding: { primaryColor: string; accentColor: string; logoUrl: string | null };
}

/**
 * A refund whose outcome the terminal / channel never gave (runtime/payments/refund-attempts.ts), for the attendant's
 * decision on tab `orders`: the terminal is asked first (`attendant_refund_recheck`, and again by the decision).
 */
export interface ViewRefundInDoubt {
  refundAttemptId: string;
  orderId: string;
  receiptNo: number | null;
  method: string;
  amount: number;
  returnId: string | null;
  /** Who started the refund. */
  attendantId: string;
}

export interface ViewAttendant {
  active: boolean;
  attendantId: string | null;
  pinPad: boolean;
  error: string | null;
  lockedUntil: number | null;
  /** Which part of attendant mode is open. */
  tab: AttendantTab;
  /** Recent completed orders (tab `orders`). */
  orders: ViewPastOrder[] | null;
  /** Refunds in doubt, oldest first (tab `orders`); absent or null: none known of on this page. */
  refundsInDoubt?: ViewRefundInDoubt[] | null;
  /** The last device health check (tab `lane`), with when it ran. */
  health: { at: number; ok: boolean; rows: ViewHealthRow[] } | null;
  /** The outcome of the attendant's last action (a refund, a reprint, a return), for the attendant. */
  notice: { action: 'reprint' | 'refund' | 'return'; ok: boolean; text: Text; /** the return this notice answers */ returnId?: string } | null;
  /** The store's returns policy for the Return form (tab `orders`); absent or null: no returns at this lane. */
  returns?: ViewReturnsPolicy | null;
  /** How this page's attendant session was opened (a badge alone needs the PIN for money actions). */
  via?: 'pin' | 'badge' | null;
  /** The money action waiting for the badge holder's PIN (the keypad is shown for it). */
  pinFor?: ScreenCommand['kind'] | null;
}

export type ScreenCommand =
  | { kind: 'language'; lang: Lang }
  | { kind: 'start' }
  | { kind: 'checkout' }
  | { kind: 'back_to_shopping' }
  | { kind: 'pay'; method: string }
  | { kind: 'cancel_payment' }
  | { kind: 'help' }
  | { kind: 'still_here' }
  | { kind: 'request_void'; lineId: string }
  /** Use the attached member's points on this order (all it may use), or take them back (`use: false`). */
  | { kind: 'use_points'; use: boolean }
  | { kind: 'receipt'; choice: 'print' | 'e_receipt' | 'none' }
  | { kind: 'done' }
  | { kind: 'attendant_open' }
  | { kind: 'attendant_close' }
  | { kind: 'attendant_pin'; pin: string }
  | { kind: 'attendant_approve' }
  | { kind: 'attendant_reject' }
  | { kind: 'attendant_cancel_order' }
  | { kind: 'attendant_resolve'; outcome: 'approved' | 'declined' }
  | { kind: 'attendant_recheck' }
  | { kind: 'attendant_tab'; tab: AttendantTab }
  | { kind: 'attendant_void_line'; lineId: string }
  | { kind: 'attendant_lane'; open: boolean }
  | { kind: 'attendant_health' }
  | { kind: 'attendant_reprint'; orderId: string }
  | { kind: 'attendant_refund'; orderId: string; lineIds?: string[] }
  /** Ask the terminal again about the refunds in doubt (as `attendant_recheck` for a payment). */
  | { kind: 'attendant_refund_recheck' }
  /** The attendant's decision on a refund in doubt (runtime/payments/refunds.ts `decide`; the terminal is asked first). */
  | { kind: 'attendant_refund_decide'; refundAttemptId: string; outcome: 'refunded' | 'not_refunded' }
  /**
   * An after-sales return under the store's policy (runtime/payments/returns.ts, as `kiosk orders return`): the page
   * makes `returnId` once per Return form, so a double tap (or a resend) is the same return, paid back once.
   */
  | { kind: 'attendant_return'; orderId: string; returnId: string; reason: string; lineIds?: string[]; /** a supervisor's own PIN, typed on the form when the policy is `supervisor` and this attendant is not one */ supervisorPin?: string };

export type ClientMessage = { type: 'command'; id: number; command: ScreenCommand };
export type ServerMessage = { type: 'view'; view: ScreenView } | { type: 'result'; id: number; ok: boolean; error?: string };
