import * as fs from 'node:fs';
import { CJK_FONT_CANDIDATES } from '../../kernel/cjk-fonts';

/** The CJK font HQ's PDF exports embed (the kiosk's receipts look for the same fonts: kernel/cjk-fonts.ts). */

export interface CjkFont {
  data: Buffer;
  /** The face inside a collection (.ttc), undefined for a single-face file. */
  family: string | undefined;
  path: string;
}

const cache = new Map<string, Buffer>();

/** The first candidate present, read once per process; null when none is installed. */
export function findCjkFont(candidates: readonly { path: string; family?: string }[] = CJK_FONT_CANDIDATES): CjkFont | null {
  for (const c of candidates) {
    let data = cache.get(c.path);
    if (!data) {
      if (!fs.existsSync(c.path)) continue;
      try {
        data = fs.readFileSync(c.path);
      } catch {
        continue;
      }
      cache.set(c.path, data);
    }
    return { data, family: c.family, path: c.path };
  }
  return null;
}
