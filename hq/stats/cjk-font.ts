import * as fs from 'node:fs';

/**
 * The CJK font HQ's PDFs embed so Chinese item and store names render (never as boxes): the same lookup as the
 * kiosk's receipts (runtime/receipts/pdf-common.ts, which hq may not import), Debian's fonts-noto-cjk first.
 */
export const CJK_FONT_CANDIDATES: readonly { path: string; family?: string }[] = [
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYi Micro Hei' },
];

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
