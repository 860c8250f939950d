/**
 * The AI table is GS1's Barcode Syntax Dictionary (gs1-syntax-dictionary.txt, from github.com/gs1/gs1-syntax-engine
 * src/c-lib/gs1-syntax-dictionary.txt @ 50657dbd04ce78d8734e8793e054bf70dcba294b). This test keeps the embedded copy
 * (ai-dictionary.generated.ts) in step with the text file; `UPDATE_AI_TABLE=1` rewrites it instead of failing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AI_TABLE, dictionaryEntryLines, lookupAiAt, parseDictionaryEntry, valueLengthBounds } from './ai-table';
import { DICTIONARY_ENTRIES, DICTIONARY_RELEASE } from './ai-dictionary.generated';

const TXT = join(__dirname, 'gs1-syntax-dictionary.txt');
const GENERATED = join(__dirname, 'ai-dictionary.generated.ts');

function render(text: string): string {
  const release = /# Release: (\S+)/.exec(text)?.[1] ?? 'unknown';
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    '/**',
    ` * GENERATED from gs1-syntax-dictionary.txt (GS1 Barcode Syntax Dictionary, release ${release}; Apache-2.0, see that file).`,
    ' * Do not edit. Regenerate: UPDATE_AI_TABLE=1 npx jest runtime/barcodes/ai-dictionary.test.ts (the test fails while stale).',
    ' */',
    `export const DICTIONARY_RELEASE = ${q(release)};`,
    '',
    '/** The dictionary entry lines, whitespace collapsed; parsed by ai-table.ts. */',
    'export const DICTIONARY_ENTRIES: readonly string[] = [',
    ...dictionaryEntryLines(text).map((l) => `  ${q(l)},`),
    '];',
    '',
  ].join('\n');
}

describe('GS1 syntax dictionary', () => {
  test('ai-dictionary.generated.ts is generated from gs1-syntax-dictionary.txt', () => {
    const want = render(readFileSync(TXT, 'utf8'));
    if (process.env.UPDATE_AI_TABLE === '1') writeFileSync(GENERATED, want);
    else expect(readFileSync(GENERATED, 'utf8')).toBe(want);
  });

  test('release and size', () => {
    expect(DICTIONARY_RELEASE).toBe('2026-01-27');
    expect(DICTIONARY_ENTRIES.length).toBe(224);
    expect(AI_TABLE.size).toBe(541);
  });

  test('ranges expand, flags and components are read', () => {
    expect(AI_TABLE.get('01')).toMatchObject({ title: 'GTIN', predefined: true, dlAttribute: true, dlpkey: [['22', '10', '21'], ['235']] });
    expect(AI_TABLE.get('01')?.components).toEqual([{ charset: 'N', min: 14, max: 14, optional: false, linters: ['csum', 'gcppos2'] }]);
    expect(AI_TABLE.get('21')).toMatchObject({ predefined: false, dlAttribute: false, dlpkey: null });
    for (const ai of ['90', '91', '95', '99']) expect(AI_TABLE.get(ai)?.title).toBe('INTERNAL');
    expect(valueLengthBounds(AI_TABLE.get('99')!)).toEqual({ min: 1, max: 90 });
    expect(AI_TABLE.get('3105')?.title).toBe('NET WEIGHT (kg)');
    expect(AI_TABLE.has('3106')).toBe(false);
    expect(valueLengthBounds(AI_TABLE.get('8003')!)).toEqual({ min: 14, max: 30 });
    expect(AI_TABLE.get('8003')?.components.map((c) => c.optional)).toEqual([false, false, true]);
    expect(AI_TABLE.get('423')?.components).toHaveLength(5);
    expect(AI_TABLE.get('8010')?.components[0]).toMatchObject({ charset: 'Y', min: 1, max: 30 });
    expect(AI_TABLE.get('8030')?.components[0]).toMatchObject({ charset: 'Z', min: 1, max: 90 });
  });

  test('the AI set is prefix-free, so lookup by longest match is unambiguous', () => {
    const ais = [...AI_TABLE.keys()];
    const clashes = ais.flatMap((a) => ais.filter((b) => b !== a && b.startsWith(a)).map((b) => `${a}/${b}`));
    expect(clashes).toEqual([]);
    expect(lookupAiAt('xx3103000195', 2)?.ai).toBe('3103');
    expect(lookupAiAt('8911', 0)).toBeUndefined();
  });

  test('malformed entries are refused', () => {
    expect(() => parseDictionaryEntry('1A * N6 # X')).toThrow(/bad AI/);
    expect(() => parseDictionaryEntry('10 ? # no spec')).toThrow(/no specification/);
    expect(() => parseDictionaryEntry('10 ? X..20 foo=1 # X')).toThrow(/unknown attribute/);
    expect(() => parseDictionaryEntry('10 ? [X..20 # X')).toThrow(/no specification|unknown attribute|unbalanced/);
    expect(() => parseDictionaryEntry('3105-3100 * N6 # X')).toThrow(/bad range/);
  });
});
