import * as fs from 'node:fs';
import { KioskError } from '../../kernel/errors';
import { CJK_FONT_CANDIDATES } from '../../kernel/cjk-fonts';

export { CJK_FONT_CANDIDATES };

export interface PdfFontOptions {
  /** An explicit font file (TTF/OTF/TTC). When given, only this path is tried. */
  fontPath?: string;
  /** PostScript name of the face inside a TTC collection (default NotoSansCJKsc-Regular for .ttc). */
  fontFamily?: string;
  /** Candidate paths to search when no fontPath is given (tests override this). */
  fontCandidates?: readonly { path: string; family?: string }[];
  /** false writes uncompressed streams (for inspection / tests). Default true. */
  compress?: boolean;
}

export interface ResolvedFont {
  path: string;
  family: string | undefined;
}

/** Finds the CJK font or throws CONFIG_INVALID: Chinese is never rendered as boxes. */
export function resolveCjkFont(opts: PdfFontOptions = {}): ResolvedFont {
  const list = opts.fontPath
    ? [{ path: opts.fontPath, family: opts.fontFamily ?? (opts.fontPath.toLowerCase().endsWith('.ttc') ? 'NotoSansCJKsc-Regular' : undefined) }]
    : (opts.fontCandidates ?? CJK_FONT_CANDIDATES);
  for (const c of list) {
    if (fs.existsSync(c.path)) return { path: c.path, family: opts.fontPath ? c.family : (opts.fontFamily ?? c.family) };
  }
  throw new KioskError('CONFIG_INVALID', 'no CJK font found: apt-get install fonts-noto-cjk', { tried: list.map((c) => c.path) });
}

const fontCache = new Map<string, Buffer>();

/**
 * Creates a document (no page yet: the caller adds pages) whose only font is the CJK font, registered as 'cjk';
 * pages are buffered so they can be counted. pdfkit (and its font stack) is loaded here, on the first document, not
 * at boot: the lane renders PDFs only for e-receipts and reports.
 */
export async function newDoc(opts: PdfFontOptions): Promise<PDFKit.PDFDocument> {
  const font = resolveCjkFont(opts);
  let data = fontCache.get(font.path);
  if (!data) {
    data = fs.readFileSync(font.path);
    fontCache.set(font.path, data);
  }
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({ bufferPages: true, compress: opts.compress ?? true, autoFirstPage: false });
  try {
    doc.registerFont('cjk', data, font.family as string);
    doc.font('cjk');
  } catch (e) {
    throw new KioskError('CONFIG_INVALID', `CJK font ${font.path} could not be loaded: ${(e as Error).message}`, { path: font.path });
  }
  return doc;
}

/** Ends the document and resolves with its bytes. */
export function finish(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.end();
  });
}

export const MM = 72 / 25.4;
