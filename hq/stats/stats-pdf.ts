import PDFDocument from 'pdfkit';
import { KioskError } from '../../kernel/errors';
import type { Translate } from '../console/types';
import { findCjkFont, type CjkFont } from './cjk-font';
import type { SalesStats } from './sales-stats';
import { cellText, statsTables, type StatsTable } from './stats-tables';

/**
 * The statistics as an A4 PDF report (pdfkit): title, period, store, KPIs, then every table, with the CJK font so
 * Chinese names render. Tables break across pages with their header repeated.
 */

export interface StatsPdfOptions {
  t: Translate;
  formatMoney: (minor: number) => string;
  currency: string;
  /** Who asked for it and when (already formatted for the reader). */
  generatedBy: string;
  generatedAt: string;
  /** For tests: another font list. */
  font?: CjkFont | null;
}

const MARGIN = 40;
const ROW = 16;
const SIZE = 9;

function drawTable(doc: PDFKit.PDFDocument, table: StatsTable, opts: StatsPdfOptions): void {
  const width = doc.page.width - 2 * MARGIN;
  const n = table.header.length;
  // the first column (a name, a date) gets twice the room of each figure column
  const unit = width / (n + 1);
  const xs = table.header.map((_, i) => MARGIN + (i === 0 ? 0 : unit * (i + 1)));
  const ws = table.header.map((_, i) => (i === 0 ? unit * 2 : unit) - 4);
  const bottom = () => doc.page.height - MARGIN;
  const row = (cells: string[], alignRight: boolean[]) => {
    if (doc.y + ROW > bottom()) doc.addPage();
    const y = doc.y;
    cells.forEach((c, i) => doc.text(c, xs[i], y, { width: ws[i], lineBreak: false, ellipsis: true, align: alignRight[i] ? 'right' : 'left' }));
    doc.x = MARGIN;
    doc.y = y + ROW;
  };
  if (doc.y + 3 * ROW > bottom()) doc.addPage();
  doc.fontSize(12).text(table.title, MARGIN, doc.y + 8);
  doc.fontSize(SIZE);
  doc.y += 4;
  const head = () => {
    row(table.header, table.header.map((_, i) => i > 0));
    doc
      .moveTo(MARGIN, doc.y - 3)
      .lineTo(MARGIN + width, doc.y - 3)
      .lineWidth(0.5)
      .stroke();
  };
  head();
  for (const r of table.rows) {
    if (doc.y + ROW > bottom()) {
      doc.addPage();
      head();
    }
    row(
      r.map((c) => cellText(c, opts.formatMoney)),
      r.map((c) => !('text' in c)),
    );
  }
}

export function statsPdf(s: SalesStats, opts: StatsPdfOptions): Promise<Buffer> {
  const font = opts.font === undefined ? findCjkFont() : opts.font;
  if (!font) throw new KioskError('CONFIG_INVALID', 'no CJK font found for the PDF: apt-get install fonts-noto-cjk');
  const { t } = opts;
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: t('stats.pdf.title'), Creator: 'kiosk hq' } });
  doc.registerFont('cjk', font.data, font.family as string);
  doc.font('cjk');
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.fontSize(18).text(t('stats.pdf.title'), MARGIN, MARGIN);
  doc.fontSize(10);
  doc.text(t('stats.period', { from: s.filter.from, to: s.filter.to, zone: s.filter.timezone }));
  doc.text(t('stats.storeLine', { store: s.filter.storeId ?? t('stats.allStores') }));
  doc.text(t('stats.currency', { currency: opts.currency }));
  doc.text(t('stats.pdf.generated', { time: opts.generatedAt, user: opts.generatedBy }));
  doc.fontSize(8).text(t('stats.rules'), { width: doc.page.width - 2 * MARGIN });
  for (const table of statsTables(s, t)) drawTable(doc, table, opts);
  doc.end();
  return done;
}
