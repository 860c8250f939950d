/**
 * Money is integer minor units (fen, cents). Ratios (tax rates, percentages) are carried as exact
 * rationals so rounding happens exactly once per line, half-even.
 */
export type Minor = number;

export function assertMinor(v: number, what: string): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${what} must be an integer number of minor units, got ${v}`);
}

/** numerator / denominator rounded half-to-even; both are integers, denominator > 0. */
export function divRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const neg = numerator < 0n;
  const n = neg ? -numerator : numerator;
  let q = n / denominator;
  const r = n % denominator;
  const twice = r * 2n;
  if (twice > denominator || (twice === denominator && q % 2n === 1n)) q += 1n;
  return neg ? -q : q;
}

/** A decimal rate such as 0.13 or 0.075 as an exact fraction over 10^6 (ppm). */
export function rateToPpm(rate: number): bigint {
  const ppm = Math.round(rate * 1_000_000);
  if (Math.abs(rate * 1_000_000 - ppm) > 1e-6) throw new RangeError(`rate ${rate} has more than 6 decimals`);
  return BigInt(ppm);
}

/** amount × rate, rounded half-even to minor units. */
export function applyRate(amount: Minor, rate: number): Minor {
  return Number(divRoundHalfEven(BigInt(amount) * rateToPpm(rate), 1_000_000n));
}

/** amount × num / den, rounded half-even. */
export function mulDiv(amount: Minor, num: number, den: number): Minor {
  return Number(divRoundHalfEven(BigInt(amount) * BigInt(num), BigInt(den)));
}

/**
 * Splits `total` over `weights` proportionally so the parts add up exactly (largest remainder, ties to the
 * lower index). Used to allocate an order-level discount to lines.
 */
export function allocate(total: Minor, weights: Minor[]): Minor[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + BigInt(b), 0n);
  if (sum === 0n) {
    const out = weights.map(() => 0);
    out[0] = total;
    return out;
  }
  const t = BigInt(total);
  const parts = weights.map((w) => (t * BigInt(w)) / sum);
  const rems = weights.map((w, i) => t * BigInt(w) - parts[i] * sum);
  let rest = t - parts.reduce((a, b) => a + b, 0n);
  const order = rems.map((r, i) => ({ r, i })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; rest > 0n; k = (k + 1) % order.length, rest -= 1n) parts[order[k].i] += 1n;
  return parts.map(Number);
}

export function formatMoney(amount: Minor, currency: string, minorUnits: number): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const scale = 10 ** minorUnits;
  const major = Math.floor(abs / scale);
  const minor = abs % scale;
  const symbol = currency === 'CNY' ? '¥' : currency === 'EUR' ? '€' : currency === 'USD' ? '$' : `${currency} `;
  return minorUnits === 0 ? `${sign}${symbol}${major}` : `${sign}${symbol}${major}.${String(minor).padStart(minorUnits, '0')}`;
}
