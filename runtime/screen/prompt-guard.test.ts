/**
 * Guard: the screen layer (runtime/screen/, screen-ui/) knows payment prompts only as codes (protocol/screen.ts
 * `PromptCode`). Device status numbers are mapped inside the drivers (drivers/terminal/zvt/prompts.ts) and the
 * providers name their prompts with codes, so no screen file may hold a hex status number or a regex run over a
 * prompt's text. This test reads every production file of both folders.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const FOLDERS = ['runtime/screen', 'screen-ui'];

/** What must not appear in the screen layer, with why. Comments are stripped first (they may cite the ZVT spec). */
const FORBIDDEN: { why: string; re: RegExp }[] = [
  { why: 'a hex number (a device status code) — map it in the driver', re: /\b0x[0-9a-f]+\b/i },
  { why: 'a regex run over a prompt’s text — providers send prompt codes', re: /\/(?:[^/\n\\]|\\.)+\/[a-z]*\s*\.\s*(?:test|exec)\(\s*[^)]*\b(?:text|prompt)\w*\b/i },
  { why: 'prompt text matched by string methods — providers send prompt codes', re: /\b(?:text|prompt\w*)\??\.\s*(?:match|matchAll|search|includes|startsWith|endsWith)\s*\(/i },
  { why: 'a ZVT intermediate status mentioned in code — that belongs to the driver', re: /\bintermediate\w*\b/i },
];

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** The forbidden things in one source text, as `line: why`. */
function problems(src: string): string[] {
  const found: string[] = [];
  stripComments(src)
    .split('\n')
    .forEach((line, i) => {
      for (const f of FORBIDDEN) if (f.re.test(line)) found.push(`${i + 1}: ${f.why}: ${line.trim()}`);
    });
  return found;
}

function productionFiles(): string[] {
  return FOLDERS.flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => path.join(dir, f)),
  );
}

describe('screen layer: prompt codes only', () => {
  it('the guard catches what the screen used to do (ZVT numbers, regexes over English prompt text)', () => {
    // lines of runtime/screen/screen-session.ts before prompt codes
    expect(problems('  if (code === 0x0a || code === 0x0b || code === 0x0e) return \'insert_card\';')).toHaveLength(1);
    expect(problems("const code: PromptCode = /confirm/i.test(p.text) ? 'confirm_in_app' : /scan the code/i.test(p.text) ? 'scan_merchant_qr' : 'other';")).toHaveLength(1);
    expect(problems('if (prompt.text.includes("PIN")) return;')).toHaveLength(1);
    expect(problems('/** ZVT intermediate status codes (04 FF), 0x0A insert card */\nconst ok = 1;')).toEqual([]);
  });

  it('no screen file holds a device status number or matches prompt text', () => {
    const files = productionFiles();
    expect(files).toEqual(expect.arrayContaining(['runtime/screen/screen-session.ts', 'runtime/screen/screen-view.ts', 'screen-ui/app.ts', 'screen-ui/i18n.ts']));
    const found = files.flatMap((f) => problems(fs.readFileSync(path.join(ROOT, f), 'utf8')).map((p) => `${f}:${p}`));
    expect(found).toEqual([]);
  });

  it('the screen view carries no prompt text: only the code (the page has the words)', () => {
    // a type-level check: adding a text field to `paying` breaks this assignment
    type Paying = NonNullable<import('../../protocol/screen').ScreenView['paying']>;
    const keys: Record<keyof Paying, true> = { method: true, prompt: true, qrSvg: true };
    expect(Object.keys(keys).sort()).toEqual(['method', 'prompt', 'qrSvg']);
  });
});
