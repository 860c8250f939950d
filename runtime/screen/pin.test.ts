import { hashBadge, hashPin, matchSecret, PIN_SCRYPT, verifyPin } from './pin';

/** Small cost parameters so the suite stays fast (the production default is N = 2^14). */
const FAST = { N: 1024, r: 8, p: 1 } as const;

describe('pin hashing', () => {
  let hash: string;
  let parts: string[];
  /** The stored hash with one `$`-separated field replaced. */
  const withPart = (i: number, value: string) => parts.map((x, j) => (j === i ? value : x)).join('$');

  beforeAll(async () => {
    hash = await hashPin('2468', FAST);
    parts = hash.split('$');
  });

  it('encodes scrypt$N$r$p$salt$hash with a 16-byte salt and a 32-byte key', () => {
    expect(parts).toHaveLength(6);
    expect(parts.slice(0, 4)).toEqual(['scrypt', '1024', '8', '1']);
    expect(Buffer.from(parts[4], 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5], 'base64')).toHaveLength(32);
  });

  it('round-trips: the right PIN verifies', async () => {
    await expect(verifyPin('2468', hash)).resolves.toBe(true);
  });

  it('a wrong PIN does not verify (including prefixes, extensions and the empty string)', async () => {
    for (const pin of ['2469', '8642', '246', '24680', '02468', '', ' 2468', '2468 ']) {
      await expect(verifyPin(pin, hash)).resolves.toBe(false);
    }
  });

  it('two hashes of the same PIN differ (random salt) and both verify', async () => {
    const again = await hashPin('2468', FAST);
    expect(again).not.toBe(hash);
    expect(again.split('$')[4]).not.toBe(parts[4]);
    await expect(verifyPin('2468', again)).resolves.toBe(true);
  });

  it('the hash never contains the PIN text', async () => {
    for (const pin of ['2468', '13579', '000000000000', '987654321012']) {
      const h = await hashPin(pin, FAST);
      expect(h).not.toContain(pin);
      await expect(verifyPin(pin, h)).resolves.toBe(true);
    }
  });

  it('uses the production parameters by default', async () => {
    expect(PIN_SCRYPT).toEqual({ N: 16384, r: 8, p: 1 });
    const h = await hashPin('1357');
    expect(h.startsWith(`scrypt$${PIN_SCRYPT.N}$${PIN_SCRYPT.r}$${PIN_SCRYPT.p}$`)).toBe(true);
    await expect(verifyPin('1357', h)).resolves.toBe(true);
    await expect(verifyPin('1358', h)).resolves.toBe(false);
  });

  it('the key length comes from the encoding (at least 16 bytes): scrypt output is prefix-stable, so a truncated key still verifies', async () => {
    const truncated = withPart(5, Buffer.from(parts[5], 'base64').subarray(0, 16).toString('base64'));
    await expect(verifyPin('2468', truncated)).resolves.toBe(true);
    await expect(verifyPin('2469', truncated)).resolves.toBe(false);
  });

  describe('malformed encodings never match and never throw', () => {
    const cases: [string, () => string][] = [
      ['empty string', () => ''],
      ['wrong prefix', () => withPart(0, 'bcrypt')],
      ['upper-case prefix', () => withPart(0, 'SCRYPT')],
      ['missing prefix', () => parts.slice(1).join('$')],
      ['missing hash part', () => parts.slice(0, 5).join('$')],
      ['missing salt and hash', () => parts.slice(0, 4).join('$')],
      ['an extra part', () => `${hash}$extra`],
      ['N not a power of two', () => withPart(1, '1000')],
      ['N = 1', () => withPart(1, '1')],
      ['N = 0', () => withPart(1, '0')],
      ['negative N', () => withPart(1, '-1024')],
      ['N > 2^20', () => withPart(1, String(2 ** 21))],
      ['huge N', () => withPart(1, '1e300')],
      ['non-numeric N', () => withPart(1, 'abc')],
      ['empty N', () => withPart(1, '')],
      ['fractional N', () => withPart(1, '1024.5')],
      ['non-numeric r', () => withPart(2, 'x')],
      ['r = 0', () => withPart(2, '0')],
      ['r > 32', () => withPart(2, '33')],
      ['non-numeric p', () => withPart(3, 'NaN')],
      ['p = 0', () => withPart(3, '0')],
      ['p > 16', () => withPart(3, '17')],
      ['Infinity p', () => withPart(3, 'Infinity')],
      ['empty salt', () => withPart(4, '')],
      ['salt of only non-base64 characters', () => withPart(4, '!!!!')],
      ['empty hash', () => withPart(5, '')],
      ['short hash (15 bytes)', () => withPart(5, Buffer.alloc(15, 1).toString('base64'))],
      ['hash of the right length but other bytes', () => withPart(5, Buffer.alloc(32, 7).toString('base64'))],
      ['other salt', () => withPart(4, Buffer.alloc(16, 9).toString('base64'))],
      ['other parameters (r)', () => withPart(2, '4')],
      ['other parameters (N)', () => withPart(1, '2048')],
      ['memory limit exceeded (tiny N, large p)', () => ['scrypt', '2', '8', '16', parts[4], parts[5]].join('$')],
      ['only dollars', () => '$$$$$'],
    ];

    it.each(cases)('%s', async (_name, make) => {
      // verifyPin is async: a throw would surface as a rejection, which `resolves` turns into a failure
      await expect(verifyPin('2468', make())).resolves.toBe(false);
    });
  });
});

describe('matchSecret (many credentials, one scan)', () => {
  const FAST_M = { N: 1024, r: 8, p: 1 } as const;

  it('finds the matching entry in config order, skips malformed hashes, null when none matches', async () => {
    const creds = [
      { attendantId: 'broken', hash: 'scrypt$nope' },
      { attendantId: 'a', hash: await hashBadge('ATT0001', FAST_M) },
      { attendantId: 'b', hash: await hashBadge('ATT0002', FAST_M) },
    ];
    await expect(matchSecret('ATT0002', creds)).resolves.toBe(creds[2]);
    await expect(matchSecret('ATT0001', creds)).resolves.toBe(creds[1]);
    await expect(matchSecret('ATT0003', creds)).resolves.toBeNull();
  });

  it('badges hashed with one shared salt are told apart by their keys (one derived key serves the group)', async () => {
    const salt = Buffer.alloc(16, 7);
    const creds = await Promise.all(['ATT0001', 'ATT0002', 'ATT0003'].map(async (code, i) => ({ attendantId: `att-${i}`, hash: await hashBadge(code, FAST_M, salt) })));
    expect(new Set(creds.map((c) => c.hash.split('$')[4])).size).toBe(1); // the same salt
    await expect(matchSecret('ATT0003', creds)).resolves.toBe(creds[2]);
    await expect(matchSecret('ATT0001', creds)).resolves.toBe(creds[0]);
    await expect(matchSecret('ATT0004', creds)).resolves.toBeNull();
  });

  it('a salt shorter than 16 bytes is refused', async () => {
    await expect(hashBadge('ATT0001', FAST_M, Buffer.alloc(8))).rejects.toThrow(RangeError);
  });
});
