import type { Lang, ScreenView, ViewHealthRow, ViewRefundInDoubt } from '../../protocol/screen';
import type { Clock } from '../../kernel/clock';
import type { LaneCondition } from '../supervision/lane-condition';
import type { Lane } from '../lane/lane';
import type { OrderEngine } from '../orders/engine';
import type { Order } from '../orders/order';
import type { Checkout } from '../payments/checkout';
import type { ReturnInput, ReturnResult } from '../payments/returns';
import type { RefundDecision, RefundDecisionResult } from '../payments/refunds';
import type { ReturnsPolicy } from '../../config/returns-policy';
import type { AttendantGate } from './attendant-gate';
import type { AttendantRefusal } from './attendant-session';

/** What the screen needs from the kiosk; the composition root (device/screen.ts) adapts a Kiosk to it. */
export interface ScreenDeps {
  clock: Clock;
  engine: OrderEngine;
  lane: Lane;
  checkout: Checkout;
  gate: AttendantGate;
  storeName: string;
  currency: { code: string; minorUnits: number };
  languages: Lang[];
  defaultLang: Lang;
  /** The lane's condition now (device supervisor), or null without devices. */
  condition?: () => LaneCondition | null;
  /** Prints the receipt of a completed order. */
  printReceipt?: (orderId: string) => Promise<{ state: string }>;
  /** The payload the e-receipt QR encodes (the same as the printed receipt's QR). */
  receiptQr?: (order: Order) => string;
  /** Receipts not printed yet (the job ledger): `pending` (nothing sent) or `in_doubt` (sent, not confirmed). */
  unprintedReceipts?: () => Promise<{ orderId: string; state: 'pending' | 'in_doubt' }[]>;
  /** Renders a QR code as SVG text. */
  qrSvg?: (data: string) => Promise<string>;
  /** How long the thank-you screen stays before the welcome screen (default 8 s). */
  thankYouMs?: number;
  /** How long a started screen without an order waits before going back to welcome (default 90 s). */
  idleMs?: number;
  /** Opens or closes the lane (journaled with the attendant id). */
  setLane?: (open: boolean, attendantId: string) => Promise<void>;
  /** The device health check (`kiosk doctor`). */
  doctor?: () => Promise<{ ok: boolean; rows: ViewHealthRow[] }>;
  /** Reprints a completed order's receipt (journaled with the attendant id). */
  reprint?: (orderId: string, attendantId: string) => Promise<{ reprint: number; state: string }>;
  /** Refunds a completed order, whole or some lines (journaled with the attendant id). */
  refund?: (orderId: string, input: { attendantId: string; lineIds?: string[] }) => Promise<Order>;
  /**
   * After-sales returns under the store's policy (the same runtime/payments/returns.ts path as `kiosk orders
   * return`): the policy in force now (config `returns`, live) and the return itself.
   */
  returns?: { policy: () => ReturnsPolicy; run: (orderId: string, input: ReturnInput) => Promise<ReturnResult> };
  /**
   * Refunds in doubt (runtime/payments/refunds.ts): the list, asking the terminal again (resolves with how many are
   * still in doubt) and the attendant's decision (journaled with the attendant id).
   */
  refundsInDoubt?: {
    list: () => Promise<ViewRefundInDoubt[]>;
    recheck: () => Promise<number>;
    decide: (refundAttemptId: string, outcome: RefundDecision, attendantId: string) => Promise<RefundDecisionResult>;
  };
  /** Prints the slip of a return done at the lane (lanes with a receipt printer). */
  printReturn?: (orderId: string, returnId: string) => Promise<{ state: string }>;
  /** Errors from background work (a payment run, a print) that must not crash the lane. */
  onError?: (e: unknown) => void;
  /** Attendant mode closes after this long without an attendant command (`attendant.idleTimeoutMs`, default 60 s). */
  attendantIdleMs?: number;
  /** A refused badge, PIN or attendant command, with its cause (journaled by the composition root). */
  onAttendantRefused?: (r: AttendantRefusal) => void;
  /**
   * Members (runtime/members): the attached member's type and the points it may use (HQ's snapshot + this kiosk's
   * own ledger), and whether redemption is on (config `loyalty.redeem`). Absent: the screen offers no points.
   */
  members?: { standing: (memberId: string) => Promise<{ customerType: 'personal' | 'business' | 'group'; redeemable: number }>; redeemOn: () => boolean };
  /** The store's colours and logo (config `screen.branding`); defaults when absent. */
  branding?: ScreenView['branding'];
}
