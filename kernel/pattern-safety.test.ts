import { MAX_BACKTRACK_PATHS, MAX_PATTERN_SOURCE, patternProblem } from './pattern-safety';
import { defaultBarcodeRules, validateBarcodeRules, type BarcodeRules } from '../config/barcode-rules';

const clone = (): BarcodeRules => JSON.parse(JSON.stringify(defaultBarcodeRules)) as BarcodeRules;

describe('patternProblem: only patterns without catastrophic backtracking', () => {
  test.each([
    'M\\d{10}',
    '2990\\d{9}',
    '(?:2[5-9]|30)\\d{14,22}',
    '1[0-5]\\d{16}',
    '62\\d{17}',
    'M(?<id>\\d{10})',
    'L-?(?<id>[A-Z]{2}\\d{6,8})',
    '(?:STAFF|EMP)(?<id>\\d+?)',
    'G(?:\\d{4}){3}',
    '(\\d{2})+',
    '^M\\d+$',
    '[^\\]x]+',
    '\\d+x\\d+',
    '(?:a|b){3}',
    '(?:a+)?b',
    'a{',
  ])('accepts %s', (source) => {
    expect(patternProblem(source)).toBeNull();
  });

  test.each([
    ['(\\d+)+y', /repeats without bound a subexpression that itself has choices/],
    ['(a|a)*', /repeats without bound/],
    ['(?:\\d?){2,}', /repeats without bound/],
    ['(x+x+)+y', /repeats without bound/],
    ['\\d*\\d*\\d*', /can backtrack through \d+ paths/],
    ['(?:a|b){0,100}', /can backtrack through more than 10\^15 paths/],
    ['(a)\\1', /back-references/],
    ['(?<x>a)\\k<x>', /back-references/],
    ['(?=\\d)\\d+', /look-around/],
    ['(?<!x)\\d+', /look-around/],
    ['\\bM\\d+', /word boundaries/],
    ['(', /not a valid regular expression/],
    ['a'.repeat(MAX_PATTERN_SOURCE + 1), /characters long/],
  ])('refuses %s', (source, why) => {
    expect(patternProblem(source)).toMatch(why);
  });

  test('the path bound sits between two open-ended quantifiers (fine) and three (refused)', () => {
    expect(patternProblem('\\d+\\d+')).toBeNull();
    expect(patternProblem('\\d+\\d+\\d+')).toMatch(new RegExp(`at most ${MAX_BACKTRACK_PATHS}`));
  });
});

describe('validateBarcodeRules names a pattern that could freeze the lane', () => {
  test('member card and payment code patterns alike, with the pattern quoted', () => {
    const r = clone();
    r.memberCards.push({ name: 'evil', pattern: '(\\d+)+y' });
    r.paymentCodes.push({ channel: 'evil', pattern: '(?:\\d|1)*x' });
    const problems = validateBarcodeRules(r);
    expect(problems).toEqual([
      expect.stringMatching(/^memberCards\[2\]: pattern "\(\\\\d\+\)\+y" repeats without bound .* backtrack catastrophically/),
      expect.stringMatching(/^paymentCodes\[3\]: pattern "\(\?:\\\\d\|1\)\*x" repeats without bound/),
    ]);
  });
});
