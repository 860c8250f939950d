/**
 * Which configured barcode patterns the kiosk may run: a pattern comes from config or a signed bundle and runs on
 * every scan in JavaScript's backtracking regex engine, where `(\d+)+y` takes exponential time on a long run of
 * digits and would freeze the lane. So a pattern is accepted only when its worst case is provably small:
 *
 *  - only the regex features a barcode needs: literals, escapes, `.`, classes, groups `( )`, `(?: )`, `(?<id> )`,
 *    alternation, quantifiers `* + ? {n} {n,} {n,m}` (lazy or not), `^`/`$`; no back-references, look-around or
 *    word boundaries (the features whose matching needs backtracking);
 *  - a subexpression repeated without bound must be free of choices (no alternation, no quantifier other than an
 *    exact count), so there is only one way to repeat it: `(\d+)+`, `(a|a)*` and `(\d?){2,}` are refused;
 *  - the number of ways the matcher can split a scan of `MAX_PATTERN_INPUT` characters among the pattern's
 *    choices (the product of each quantifier's count range and each alternation's branches — an upper bound of
 *    the backtracking paths) stays at most `MAX_BACKTRACK_PATHS`: `\d*\d*\d*` is refused, `(?:2[5-9]|30)\d{14,22}`
 *    (18 paths) is fine.
 * Together with scans longer than `MAX_PATTERN_INPUT` never being matched, each match is bounded by about
 * MAX_BACKTRACK_PATHS × MAX_PATTERN_INPUT steps.
 */

/** Longest scan data matched against a configured pattern (wallet codes are ≤ 24 characters, cards ≤ ~30). */
export const MAX_PATTERN_INPUT = 256;
/** Longest pattern source accepted. */
export const MAX_PATTERN_SOURCE = 512;
/** Most backtracking paths a pattern may have over a MAX_PATTERN_INPUT-character scan. */
export const MAX_BACKTRACK_PATHS = 100_000;

type Node = { kind: 'atom' } | { kind: 'group'; alts: Node[][] } | { kind: 'repeat'; min: number; max: number; body: Node };

class Unsupported extends Error {}

/** Parser for the accepted subset; runs only on sources JavaScript already compiles (so syntax is valid). */
class PatternParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.s.length) throw new Unsupported(`unexpected "${this.s[this.i]}" at ${this.i}`);
    return node;
  }

  private alternation(): Node {
    const alts: Node[][] = [this.sequence()];
    while (this.s[this.i] === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return { kind: 'group', alts };
  }

  private sequence(): Node[] {
    const seq: Node[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const atom = this.atom();
      seq.push(this.quantified(atom));
    }
    return seq;
  }

  private atom(): Node {
    const c = this.s[this.i]!;
    if (c === '(') {
      this.i++;
      if (this.s[this.i] === '?') {
        const rest = this.s.slice(this.i, this.i + 3);
        if (rest.startsWith('?:')) this.i += 2;
        else if (rest === '?<=' || rest === '?<!' || rest.startsWith('?=') || rest.startsWith('?!')) throw new Unsupported('look-around');
        else if (rest.startsWith('?<')) {
          const end = this.s.indexOf('>', this.i);
          this.i = end + 1;
        } else throw new Unsupported(`group modifier "(${rest}"`);
      }
      const inner = this.alternation();
      if (this.s[this.i] !== ')') throw new Unsupported('unbalanced group');
      this.i++;
      return inner;
    }
    if (c === '[') {
      this.i++;
      if (this.s[this.i] === '^') this.i++;
      while (this.i < this.s.length && this.s[this.i] !== ']') this.i += this.s[this.i] === '\\' ? 2 : 1;
      this.i++;
      return { kind: 'atom' };
    }
    if (c === '\\') {
      const e = this.s[this.i + 1] ?? '';
      if (/[1-9]/.test(e) || e === 'k') throw new Unsupported('back-references');
      if (e === 'b' || e === 'B') throw new Unsupported('word boundaries');
      this.i += 2;
      return { kind: 'atom' };
    }
    if (c === '*' || c === '+' || c === '?') throw new Unsupported(`"${c}" with nothing to repeat`);
    this.i++;
    return { kind: 'atom' }; // a literal, ".", "^", "$", or a "{" / "}" / "]" JavaScript reads literally
  }

  private quantified(atom: Node): Node {
    let min: number;
    let max: number;
    const c = this.s[this.i];
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (!m) return atom; // a literal "{"
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.s[this.i] === '?') this.i++; // lazy: the same paths in another order
    return { kind: 'repeat', min, max, body: atom };
  }
}

/** A subexpression with exactly one way to match whatever it matches. */
function choiceFree(n: Node): boolean {
  if (n.kind === 'atom') return true;
  if (n.kind === 'group') return n.alts.length === 1 && n.alts[0]!.every(choiceFree);
  return n.min === n.max && choiceFree(n.body);
}

const CAP = 1e15;
const mul = (a: number, b: number): number => Math.min(CAP, a * b);

/** Upper bound of the backtracking paths over a MAX_PATTERN_INPUT-character input; throws on nested repetition. */
function paths(n: Node): number {
  if (n.kind === 'atom') return 1;
  if (n.kind === 'group') {
    let sum = 0;
    for (const seq of n.alts) sum = Math.min(CAP, sum + seq.reduce((acc, child) => mul(acc, paths(child)), 1));
    return sum;
  }
  const max = Math.min(n.max, MAX_PATTERN_INPUT);
  if (choiceFree(n.body)) return Math.max(1, max - n.min + 1);
  // a body with choices: open-ended, there is no bound at all; bounded, each count k has paths(body)^k ways
  if (n.max === Infinity) throw new Unsupported('nested');
  const p = paths(n.body);
  let sum = 0;
  let ways = 1;
  for (let k = 0; k <= max && sum < CAP; k++) {
    if (k >= n.min) sum = Math.min(CAP, sum + ways);
    ways = mul(ways, p);
  }
  return Math.max(1, sum);
}

/**
 * Why `source` may not be used as a barcode pattern (a phrase to follow the quoted pattern), or null when it is
 * fine. Never throws.
 */
export function patternProblem(source: unknown): string | null {
  if (typeof source !== 'string') return 'is not a string';
  if (source.length > MAX_PATTERN_SOURCE) return `is ${source.length} characters long (at most ${MAX_PATTERN_SOURCE})`;
  // what runs is the anchored form (patterns.ts), so that is what is checked
  const wrapped = `(?:${source})`;
  try {
    new RegExp(`^${wrapped}$`);
  } catch {
    return 'is not a valid regular expression';
  }
  let tree: Node;
  try {
    tree = new PatternParser(wrapped).parse();
  } catch (e) {
    return `uses ${e instanceof Unsupported ? e.message : 'syntax'} that barcode patterns do not support`;
  }
  let n: number;
  try {
    n = paths(tree);
  } catch {
    return 'repeats without bound a subexpression that itself has choices (nested or alternating repetition such as "(\\d+)+" or "(a|b)*") and can backtrack catastrophically: repeat a single character class instead (e.g. "\\d+", "[ab]*")';
  }
  if (n > MAX_BACKTRACK_PATHS) {
    return `can backtrack through ${n >= CAP ? 'more than 10^15' : n} paths on a ${MAX_PATTERN_INPUT}-character scan (at most ${MAX_BACKTRACK_PATHS}): use fewer open-ended quantifiers in a row, or bounded ones such as "\\d{14,22}"`;
  }
  return null;
}
