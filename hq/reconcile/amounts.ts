import { KioskError } from '../../kernel/errors';

/** Yuan as the bills write them: optional minus, up to 13 integer digits, up to 2 decimals ("12.34", "-0.07", "0"). */
const YUAN = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/;

/** A yuan string to integer fen, exactly (string arithmetic, never a float); null when it is not one. */
export function parseYuan(s: string): number | null {
  const m = YUAN.exec(s);
  if (!m) return null;
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] === '-' && fen !== 0 ? -fen : fen;
}

/** Integer fen as a yuan string with 2 decimals ("12.34", "-0.07"). */
export function formatYuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new KioskError('BAD_DATA', `not an amount in fen: ${fen}`);
  const a = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

/**
 * The fee on an amount at a rate in basis points, rounded half up (half a fen and more rounds up), in integers:
 * round-half-up(amount × bps / 10 000). For a negative amount, minus the fee of its absolute value.
 */
export function feeOf(amount: number, bps: number): number {
  const a = BigInt(Math.abs(amount)) * BigInt(bps);
  const fee = Number((a + 5000n) / 10000n);
  return amount < 0 ? -fee : fee;
}
