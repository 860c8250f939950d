/**
 * Linter vectors from the reference implementations' own unit tests: github.com/gs1/gs1-syntax-engine
 * src/c-lib/syntax/lint_<name>.c (UNIT_TEST_PASS / UNIT_TEST_FAIL) @ 50657dbd04ce78d8734e8793e054bf70dcba294b.
 */
import { csumAlphaPair, isImplementedLinter, runLinter, SKIPPED_LINTERS } from './gs1-linters';
import { AI_TABLE } from './ai-table';

const P = true;
const F = false;

const VECTORS: [string, string, boolean][] = [
  // lint_csumalpha.c
  ['csumalpha', '', F],
  ['csumalpha', '2', F],
  ['csumalpha', '22', P],
  ['csumalpha', '33', F],
  ['csumalpha', '!22', P],
  ['csumalpha', '!!22', P],
  ['csumalpha', '1987654Ad4X4bL5ttr2310c2K', P],
  ['csumalpha', '1987654Ad4X4bL5ttr2310cXK', F],
  ['csumalpha', '1987654Ad4X4bL5ttr2310c2X', F],
  ['csumalpha', '12345678901234567890123NT', P],
  ['csumalpha', '12345_ABCDEFGHIJKLMCP', P],
  ['csumalpha', '12345_NOPQRSTUVWXYZDN', P],
  ['csumalpha', '12345_abcdefghijklmN3', P],
  ['csumalpha', '12345_nopqrstuvwxyzP2', P],
  ['csumalpha', `12345_!"%&'()*+,-./LC`, P],
  ['csumalpha', '12345_0123456789:;<=>?62', P],
  ['csumalpha', '7907665Bm8v2AB', P],
  ['csumalpha', '97850l6KZm0yCD', P],
  ['csumalpha', '225803106GSpEF', P],
  ['csumalpha', '149512464PM+GH', P],
  // lint_iso4217.c
  ...['008', '012', '032', '036'].map((v): [string, string, boolean] => ['iso4217', v, P]),
  ...['0', '00', '000', '0000', '_999', '999_', 'AAA', '995', '996', '998'].map((v): [string, string, boolean] => ['iso4217', v, F]),
  // lint_iso3166.c
  ...['004', '008', '010', '012'].map((v): [string, string, boolean] => ['iso3166', v, P]),
  ...['0', '00', '000', '0000', '_894', '894_', '997', '998', '999'].map((v): [string, string, boolean] => ['iso3166', v, F]),
  // lint_iso3166alpha2.c
  ...['AD', 'AE', 'AF', 'AG'].map((v): [string, string, boolean] => ['iso3166alpha2', v, P]),
  ...['A', 'AA', 'AAA', '_AD', 'AD_', 'AB', 'ZX', 'ZY', 'ZZ'].map((v): [string, string, boolean] => ['iso3166alpha2', v, F]),
  // lint_yymmd0.c / lint_yymmdd.c
  ...['000606', '250606', '500606', '750606', '990606', '200131'].flatMap((v): [string, string, boolean][] => [['yymmd0', v, P], ['yymmdd', v, P]]),
  ['yymmd0', 'x00131', F],
  ['yymmdd', 'x00131', F],
  // lint_hhmi.c
  ...['0000', '2359', '0100', '0500'].map((v): [string, string, boolean] => ['hhmi', v, P]),
  // lint_pieceoftotal.c
  ...['11', '13', '23', '33', '89', '99'].map((v): [string, string, boolean] => ['pieceoftotal', v, P]),
  ...['100099', '101100', '999998'].map((v): [string, string, boolean] => ['pieceoftotal', v, F]),
  // lint_pcenc.c
  ...['', 'A', 'ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHI', '%00', '%FF', '%Ff', '%fF'].map((v): [string, string, boolean] => ['pcenc', v, P]),
  // lint_latitude.c
  ...['0279085848', '0000000000', '1800000000'].map((v): [string, string, boolean] => ['latitude', v, P]),
  ...['027908584', '02790858481', '123456789x', '1800000001'].map((v): [string, string, boolean] => ['latitude', v, F]),
  // lint_posinseqslash.c
  ...['1/1', '1/3', '2/3', '3/3', '8/9', '9/9', '9/10'].map((v): [string, string, boolean] => ['posinseqslash', v, P]),
  ...['100/99', '101/100', '999/998'].map((v): [string, string, boolean] => ['posinseqslash', v, F]),
];

describe('GS1 linters (reference unit-test vectors)', () => {
  test.each(VECTORS)('%s "%s" → %s', (name, value, pass) => {
    expect(runLinter(name, value) === null).toBe(pass);
  });

  test('a wrong GMN check pair reports the expected pair', () => {
    expect(csumAlphaPair('1987654Ad4X4bL5ttr2310c')).toBe('2K');
    expect(runLinter('csumalpha', '1987654Ad4X4bL5ttr2310cXK')).toMatchObject({ kind: 'check', expected: '2K', found: 'XK', offset: 23 });
  });

  test('every linter the dictionary names is either implemented or listed as skipped', () => {
    const named = new Set([...AI_TABLE.values()].flatMap((e) => e.components.flatMap((c) => c.linters)));
    const unknown = [...named].filter((l) => !isImplementedLinter(l) && !SKIPPED_LINTERS.includes(l));
    expect(unknown).toEqual([]);
  });
});
