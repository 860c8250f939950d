/** One recall entry of a GTIN, with what the recall is (runtime/recalls/recall-store.ts recallCandidates). */
export interface RecallCandidate {
  recallId: string;
  reason: string;
  since: number;
  /** The batch / lot (AI 10) the entry names, or null. */
  lot: string | null;
  /** The serial (AI 21) the entry names, or null. */
  serial: string | null;
}

/**
 * What the recall list says of one scanned unit:
 * - `recalled`: an entry for every unit of the GTIN, or for exactly the lot / serial the code carries — not for sale;
 * - `check`: the code does not carry the lot (or serial) a recall of this GTIN names (a 1D EAN/UPC, a 2D code without
 *   AI 10 / 21) — an attendant must read the lot on the pack;
 * - `clear`: no entry applies (a recall of another lot or serial of the GTIN does not stop this one).
 */
export type RecallVerdict = { status: 'clear' } | { status: 'recalled' | 'check'; recall: RecallCandidate };

export function matchRecall(candidates: readonly RecallCandidate[], unit: { lot?: string | null; serial?: string | null }): RecallVerdict {
  const lot = unit.lot ?? null;
  const serial = unit.serial ?? null;
  let check: RecallCandidate | null = null;
  for (const c of candidates) {
    if (c.lot === null && c.serial === null) return { status: 'recalled', recall: c };
    if (c.lot !== null) {
      if (lot === null) check ??= c;
      else if (lot === c.lot) return { status: 'recalled', recall: c };
    } else if (c.serial !== null) {
      if (serial === null) check ??= c;
      else if (serial === c.serial) return { status: 'recalled', recall: c };
    }
  }
  return check ? { status: 'check', recall: check } : { status: 'clear' };
}
