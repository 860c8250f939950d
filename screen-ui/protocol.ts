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
  receiptNo: number | null;
  pending: { kind: 'age_check' | 'void' | 'help'; lineId?: string; ageLimit?: number }[];
  /** The payment attempt in doubt, if any (what the attendant resolves). */
  unknownPayment: { method: string; amount: number } | null;
}

/** Terminal / gateway prompts, as codes the screen translates. */
export type PromptCode = 'insert_card' | 'enter_pin' | 'processing' | 'scan_payment_code' | 'confirm_in_app' | 'other';

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
  paying: { method: string; prompt: PromptCode | null; promptText: string | null } | null;
  /** A message for the shopper (scan refusals, declines): a code and its text in every language. */
  message: { code: string; text: Text } | null;
  receipt: { orderId: string; receiptNo: number | null; total: number; choice: 'print' | 'e_receipt' | 'none' | null; printed: 'ok' | 'failed' | null; qrSvg: string | null } | null;
  outOfService: { reasons: string[]; message: Text | null } | null;
  attendant: { active: boolean; attendantId: string | null; pinPad: boolean; error: string | null; lockedUntil: number | null };
}

export type ScreenCommand =
  | { kind: 'language'; lang: Lang }
  | { kind: 'start' }
  | { kind: 'checkout' }
  | { kind: 'back_to_shopping' }
  | { kind: 'pay'; method: string }
  | { kind: 'help' }
  | { kind: 'still_here' }
  | { kind: 'request_void'; lineId: string }
  | { kind: 'receipt'; choice: 'print' | 'e_receipt' | 'none' }
  | { kind: 'done' }
  | { kind: 'attendant_open' }
  | { kind: 'attendant_close' }
  | { kind: 'attendant_pin'; pin: string }
  | { kind: 'attendant_approve' }
  | { kind: 'attendant_reject' }
  | { kind: 'attendant_cancel_order' }
  | { kind: 'attendant_resolve'; outcome: 'approved' | 'declined' }
  | { kind: 'attendant_recheck' };

export type ClientMessage = { type: 'command'; id: number; command: ScreenCommand };
export type ServerMessage = { type: 'view'; view: ScreenView } | { type: 'result'; id: number; ok: boolean; error?: string };
