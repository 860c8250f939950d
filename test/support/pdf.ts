/** Helpers for the PDF tests: structural checks and text extraction from pdfkit output written with compress: false. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function expectValidPdf(pdf: Buffer): void {
  const s = pdf.toString('latin1');
  if (!s.startsWith('%PDF-')) throw new Error('does not start with %PDF-');
  if (!/%%EOF\s*$/.test(s)) throw new Error('does not end with %%EOF');
  if (!/startxref\s+\d+/.test(s)) throw new Error('no startxref');
}

/** Page count from the page tree root (/Type /Pages ... /Count n). */
export function pageCount(pdf: Buffer): number {
  const m = /\/Type \/Pages\s*\/Count (\d+)/.exec(pdf.toString('latin1'));
  if (!m) throw new Error('no page tree');
  return Number(m[1]);
}

/** Names of embedded fonts (/BaseFont of font dictionaries, subset prefix dropped). */
export function fontNames(pdf: Buffer): string[] {
  const names = [...pdf.toString('latin1').matchAll(/\/BaseFont \/(?:[A-Z]{6}\+)?([^\s/>]+)/g)].map((m) => m[1]);
  return [...new Set(names)];
}

/**
 * Text of an uncompressed pdfkit PDF with one Type0 font: glyph ids from every TJ array, mapped back to Unicode with
 * the font's ToUnicode CMap (which is how any PDF reader extracts text). One string per TJ operation.
 */
export function extractText(pdf: Buffer): string[] {
  return extractRuns(pdf).map((r) => r.text);
}

/** Like extractText, with the fill colour (`r g b` of the last `rg` or `scn` operator) each run was drawn in. */
export function extractRuns(pdf: Buffer): { text: string; color: string }[] {
  const s = pdf.toString('latin1');
  const map = new Map<number, string>();
  for (const block of s.matchAll(/beginbfrange\n([\s\S]*?)endbfrange/g)) {
    for (const m of block[1].matchAll(/<([0-9a-f]+)> <([0-9a-f]+)> \[([^\]]*)\]/gi)) {
      const start = parseInt(m[1], 16);
      const entries = [...m[3].matchAll(/<([0-9a-f ]+)>/gi)].map((e) => String.fromCharCode(...e[1].split(' ').map((h) => parseInt(h, 16))));
      entries.forEach((t, i) => map.set(start + i, t));
    }
  }
  if (map.size === 0) throw new Error('no ToUnicode CMap found (was the PDF written with compress: false?)');
  const out: { text: string; color: string }[] = [];
  let color = '0 0 0';
  for (const op of s.matchAll(/([\d.]+ [\d.]+ [\d.]+) (?:rg|scn)|\[([^\]]*)\] TJ/g)) {
    if (op[1] !== undefined) {
      color = op[1];
      continue;
    }
    const hex = [...op[2].matchAll(/<([0-9a-f]*)>/gi)].map((h) => h[1]).join('');
    let text = '';
    for (let i = 0; i + 4 <= hex.length; i += 4) text += map.get(parseInt(hex.slice(i, i + 4), 16)) ?? '\uFFFD';
    out.push({ text, color });
  }
  return out;
}

export const HAS_PDFTOTEXT = spawnSync('pdftotext', ['-v']).error === undefined;

/** Text as poppler's pdftotext sees it (only call when HAS_PDFTOTEXT). */
export function pdftotext(pdf: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-pdf-'));
  try {
    const file = path.join(dir, 'doc.pdf');
    fs.writeFileSync(file, pdf);
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
