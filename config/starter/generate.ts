/*
 * Generates config/starter/pricebook.json and config/starter/promotions.json from the tables in table-*.ts.
 *
 *   npm run starter-data               # build, then write the files
 *   npm run starter-data -- --check    # exit 1 if the committed files differ from what would be generated
 *   (after `npm run build`: node dist/config/starter/generate.js [--check])
 *
 * Deterministic: no randomness, no clock. Edit the tables, regenerate, commit the code together with its outputs.
 * EAN-13 check digits come from kernel/gs1-check-digit.ts, the code the scanner path validates with.
 *
 * Product names are real-world brands for realism; prices are plausible CNY shelf prices, NOT actual prices.
 * EAN-13 barcodes are synthetic (GS1 China prefixes 690–699, valid check digit) and are NOT the manufacturers'
 * real GTINs — replace the whole file with the HQ export before going live.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../paths';
import { buildItems } from './items';
import { buildPromotions } from './promotions';

const VERSION = 'starter-1';
const CURRENCY = 'CNY';

/** The two files' exact text, by file name. */
export function starterFiles(items = buildItems(), promotions = buildPromotions(items)): Record<'pricebook.json' | 'promotions.json', string> {
  return {
    'pricebook.json': JSON.stringify({ version: VERSION, currency: CURRENCY, items }, null, 2) + '\n',
    'promotions.json': JSON.stringify(promotions, null, 2) + '\n',
  };
}

/** Writes the files into `dir` (or, with `--check`, compares them). Returns the exit code. */
export function main(argv: string[], dir = path.join(projectRoot(), 'config', 'starter')): number {
  const check = argv.includes('--check');
  const items = buildItems();
  const promotions = buildPromotions(items);
  const files = starterFiles(items, promotions);
  let stale = false;
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (check) {
      const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
      if (current !== text) {
        console.error(`${name} is out of date; run: npm run starter-data`);
        stale = true;
      }
    } else {
      fs.writeFileSync(file, text);
    }
  }
  if (stale) return 1;
  const weighed = items.filter((it) => it.soldByWeight).length;
  const aged = items.filter((it) => it.ageLimit !== null).length;
  console.log(`${check ? 'checked' : 'wrote'} ${items.length} items (${weighed} weighed, ${aged} age-restricted), ${promotions.length} promotions`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
