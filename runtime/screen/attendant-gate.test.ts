import { SimulatedClock } from '../../kernel/clock';
import { AttendantGate, type AttendantGateOptions, type GateResult } from './attendant-gate';
import { hashBadge, hashPin } from './pin';

/** Small scrypt parameters so the suite stays fast. */
const FAST = { N: 1024, r: 8, p: 1 } as const;
const PIN_A = '2468';
const PIN_B = '135790';
const WRONG = '1111';
const MAX = 3;
const LOCKOUT = 60_000;

describe('AttendantGate', () => {
  let pins: AttendantGateOptions['pins'];
  let clock: SimulatedClock;

  beforeAll(async () => {
    pins = [
      { attendantId: 'att-a', hash: await hashPin(PIN_A, FAST) },
      { attendantId: 'att-b', hash: await hashPin(PIN_B, FAST) },
    ];
  });

  beforeEach(() => {
    clock = new SimulatedClock();
  });

  const gate = (over: Partial<AttendantGateOptions> = {}) => new AttendantGate({ pins, maxAttempts: MAX, lockoutMs: LOCKOUT, clock, ...over });
  const refused = (reason: string, attemptsLeft: number, lockedUntil: number | null): GateResult => ({ ok: false, reason, attemptsLeft, lockedUntil }) as GateResult;

  it('a correct PIN opens with its own attendant id (two attendants)', async () => {
    const g = gate();
    await expect(g.checkPin(PIN_A)).resolves.toEqual({ ok: true, attendantId: 'att-a' });
    await expect(g.checkPin(PIN_B)).resolves.toEqual({ ok: true, attendantId: 'att-b' });
    expect(g.locked()).toBeNull();
  });

  it('without any configured PIN nothing opens', async () => {
    const g = gate({ pins: [] });
    await expect(g.checkPin(PIN_A)).resolves.toEqual(refused('wrong_pin', MAX - 1, null));
  });

  it('wrong PINs count attemptsLeft down, then lock for lockoutMs by the injected clock', async () => {
    const g = gate();
    const t0 = clock.now();
    await expect(g.checkPin(WRONG)).resolves.toEqual(refused('wrong_pin', 2, null));
    await expect(g.checkPin('9999')).resolves.toEqual(refused('wrong_pin', 1, null));
    expect(g.locked()).toBeNull();
    await expect(g.checkPin('24680')).resolves.toEqual(refused('locked', 0, t0 + LOCKOUT));
    expect(g.locked()).toBe(t0 + LOCKOUT);
  });

  it('the lockout runs from the time of the last failure', async () => {
    const g = gate();
    await g.checkPin(WRONG);
    clock.advance(10_000);
    await g.checkPin(WRONG);
    clock.advance(5_000);
    const t = clock.now();
    const r = await g.checkPin(WRONG);
    expect(r).toEqual(refused('locked', 0, t + LOCKOUT));
  });

  it('while locked even the correct PIN is refused as locked (and is not checked)', async () => {
    const g = gate();
    for (let i = 0; i < MAX; i++) await g.checkPin(WRONG);
    const until = g.locked()!;
    expect(until).toBe(clock.now() + LOCKOUT);
    await expect(g.checkPin(PIN_A)).resolves.toEqual(refused('locked', 0, until));
    clock.advance(LOCKOUT - 1);
    await expect(g.checkPin(PIN_B)).resolves.toEqual(refused('locked', 0, until));
    // bad input while locked is reported as locked (the lock is checked first)
    await expect(g.checkPin('12')).resolves.toEqual(refused('locked', 0, until));
    expect(g.locked()).toBe(until);
  });

  it('once the clock reaches lockedUntil the keypad opens again with a fresh count', async () => {
    const g = gate();
    for (let i = 0; i < MAX; i++) await g.checkPin(WRONG);
    clock.advance(LOCKOUT);
    expect(g.locked()).toBeNull();
    await expect(g.checkPin(WRONG)).resolves.toEqual(refused('wrong_pin', MAX - 1, null));
    await expect(g.checkPin(PIN_A)).resolves.toEqual({ ok: true, attendantId: 'att-a' });
  });

  it('after the lockout the correct PIN opens directly (no locked() call needed first)', async () => {
    const g = gate();
    for (let i = 0; i < MAX; i++) await g.checkPin(WRONG);
    clock.advance(LOCKOUT + 1);
    await expect(g.checkPin(PIN_B)).resolves.toEqual({ ok: true, attendantId: 'att-b' });
    // count was reset: MAX - 1 further failures do not lock
    for (let i = 0; i < MAX - 1; i++) await g.checkPin(WRONG);
    expect(g.locked()).toBeNull();
  });

  it('a correct PIN resets the failure count', async () => {
    const g = gate();
    for (let i = 0; i < MAX - 1; i++) await g.checkPin(WRONG);
    await expect(g.checkPin(PIN_A)).resolves.toEqual({ ok: true, attendantId: 'att-a' });
    await expect(g.checkPin(WRONG)).resolves.toEqual(refused('wrong_pin', MAX - 1, null));
    await expect(g.checkPin(WRONG)).resolves.toEqual(refused('wrong_pin', MAX - 2, null));
    expect(g.locked()).toBeNull();
  });

  it('a second lockout after the first one expired locks again', async () => {
    const g = gate();
    for (let i = 0; i < MAX; i++) await g.checkPin(WRONG);
    clock.advance(LOCKOUT);
    for (let i = 0; i < MAX; i++) await g.checkPin(WRONG);
    expect(g.locked()).toBe(clock.now() + LOCKOUT);
  });

  it('maxAttempts = 1 locks on the first wrong PIN', async () => {
    const g = gate({ maxAttempts: 1 });
    await expect(g.checkPin(WRONG)).resolves.toEqual(refused('locked', 0, clock.now() + LOCKOUT));
  });

  it('lockoutMs = 0: the last failure is reported as locked (attemptsLeft 0) but with lockedUntil null; the count restarts', async () => {
    const g = gate({ lockoutMs: 0 });
    for (let i = 0; i < MAX - 1; i++) await g.checkPin(WRONG);
    // attemptsLeft is computed before locked() expires the zero-length lock inside the same refusal
    await expect(g.checkPin(WRONG)).resolves.toEqual(refused('locked', 0, null));
    expect(g.locked()).toBeNull();
    await expect(g.checkPin(WRONG)).resolves.toEqual(refused('wrong_pin', MAX - 1, null));
    await expect(g.checkPin(PIN_A)).resolves.toEqual({ ok: true, attendantId: 'att-a' });
  });

  describe('bad input is refused without a check and does not count as an attempt', () => {
    const bad: [string, unknown][] = [
      ['non-digits', 'abcd'],
      ['digits with a letter', '12a4'],
      ['too short', '123'],
      ['empty', ''],
      ['too long (13)', '1234567890123'],
      ['spaces', ' 2468'],
      ['trailing newline', '2468\n'],
      ['full-width digits', '２４６８'],
      ['Arabic-Indic digits', '٢٤٦٨'],
      ['a number', 2468],
      ['null', null],
      ['undefined', undefined],
      ['an object', { pin: PIN_A }],
      ['an array', [PIN_A]],
    ];

    it.each(bad)('%s', async (_name, pin) => {
      const g = gate();
      await expect(g.checkPin(WRONG)).resolves.toEqual(refused('wrong_pin', MAX - 1, null));
      for (let i = 0; i < MAX + 2; i++) {
        await expect(g.checkPin(pin)).resolves.toEqual(refused('bad_input', MAX - 1, null));
      }
      expect(g.locked()).toBeNull();
      await expect(g.checkPin(PIN_A)).resolves.toEqual({ ok: true, attendantId: 'att-a' });
    });

    it('4 and 12 digits are accepted as input (checked, so counted)', async () => {
      const g = gate();
      await expect(g.checkPin('0000')).resolves.toEqual(refused('wrong_pin', MAX - 1, null));
      await expect(g.checkPin('000000000000')).resolves.toEqual(refused('wrong_pin', MAX - 2, null));
    });
  });

  it('a second check while one is running is refused as busy (and not counted)', async () => {
    const g = gate();
    const first = g.checkPin(WRONG);
    await expect(g.checkPin(PIN_A)).resolves.toEqual(refused('busy', MAX, null));
    await expect(g.checkPin(WRONG)).resolves.toEqual(refused('busy', MAX, null));
    await expect(first).resolves.toEqual(refused('wrong_pin', MAX - 1, null));
    // free again once the first check finished
    await expect(g.checkPin(PIN_A)).resolves.toEqual({ ok: true, attendantId: 'att-a' });
  });

  it('busy is released even after a successful check, and bad input is refused as bad_input before busy', async () => {
    const g = gate();
    const first = g.checkPin(PIN_B);
    await expect(g.checkPin('x')).resolves.toEqual(refused('bad_input', MAX, null));
    await expect(first).resolves.toEqual({ ok: true, attendantId: 'att-b' });
    const second = g.checkPin(PIN_A);
    await expect(g.checkPin(PIN_A)).resolves.toMatchObject({ ok: false, reason: 'busy' });
    await expect(second).resolves.toEqual({ ok: true, attendantId: 'att-a' });
  });

  it('a malformed stored hash never matches and does not break the other attendants', async () => {
    const g = gate({ pins: [{ attendantId: 'broken', hash: 'scrypt$nope' }, ...pins] });
    await expect(g.checkPin(PIN_B)).resolves.toEqual({ ok: true, attendantId: 'att-b' });
    await expect(g.checkPin(WRONG)).resolves.toEqual(refused('wrong_pin', MAX - 1, null));
  });

  describe('badges', () => {
    const BADGE_7 = 'ATT0042';
    let badges: AttendantGateOptions['badges'];
    beforeAll(async () => {
      badges = [{ attendantId: 'att-7', hash: await hashBadge(BADGE_7, FAST) }];
    });

    it('isBadge only pre-filters by the pattern (default ^ATT\\d{4,8}$), bounded in length', () => {
      const g = gate({ badgePattern: '^ATT\\d{4,8}$', badges });
      for (const yes of ['ATT1234', 'ATT12345678', 'ATT9999']) expect(g.isBadge(yes)).toBe(true);
      for (const no of ['ATT123', 'ATT123456789', 'att1234', 'xATT1234', '4006381333931', '']) expect(g.isBadge(no)).toBe(false);
      expect(gate({ badgePattern: 'ATT\\d{4}', badges }).isBadge(`ATT1234${'x'.repeat(100)}`)).toBe(false);
      for (let i = 0; i < 3; i++) expect(g.isBadge('ATT0001')).toBe(true); // no stateful regex
    });

    it('without a pattern (undefined or empty) nothing is tried as a badge', async () => {
      for (const badgePattern of [undefined, '']) {
        const g = gate({ badgePattern, badges });
        expect(g.isBadge(BADGE_7)).toBe(false);
        await expect(g.checkBadge(BADGE_7)).resolves.toMatchObject({ ok: false, reason: 'bad_input' });
      }
    });

    it('an invalid pattern throws at construction', () => {
      expect(() => gate({ badgePattern: '(' })).toThrow(SyntaxError);
    });

    it('an enrolled badge opens with its attendant id (not the badge code); a badge-shaped unenrolled code opens nothing', async () => {
      const g = gate({ badgePattern: '^ATT\\d{4,8}$', badges });
      await expect(g.checkBadge(BADGE_7)).resolves.toEqual({ ok: true, attendantId: 'att-7' });
      await expect(g.checkBadge('ATT9999')).resolves.toEqual(refused('unknown_badge', MAX - 1, null));
    });

    it('without enrolled badges (the default) no badge-shaped code opens anything', async () => {
      const g = gate({ badgePattern: '^ATT\\d{4,8}$' });
      await expect(g.checkBadge(BADGE_7)).resolves.toMatchObject({ ok: false, reason: 'unknown_badge' });
    });

    it('unknown badges lock the badge reader for lockoutMs (injected clock), separately from the PIN keypad', async () => {
      const g = gate({ badgePattern: '^ATT\\d{4,8}$', badges });
      const t0 = clock.now();
      await g.checkBadge('ATT9999');
      await g.checkBadge('ATT9998');
      await expect(g.checkBadge('ATT9997')).resolves.toEqual(refused('locked', 0, t0 + LOCKOUT));
      // locked: even the enrolled badge is refused unchecked
      await expect(g.checkBadge(BADGE_7)).resolves.toMatchObject({ ok: false, reason: 'locked' });
      expect(g.badgeLocked()).toBe(t0 + LOCKOUT);
      // the keypad is not locked by badge failures
      expect(g.locked()).toBeNull();
      await expect(g.checkPin(PIN_A)).resolves.toEqual({ ok: true, attendantId: 'att-a' });
      clock.advance(LOCKOUT);
      await expect(g.checkBadge(BADGE_7)).resolves.toEqual({ ok: true, attendantId: 'att-7' });
    });

    it('a second badge check while one runs is refused as busy', async () => {
      const g = gate({ badgePattern: '^ATT\\d{4,8}$', badges });
      const first = g.checkBadge(BADGE_7);
      await expect(g.checkBadge(BADGE_7)).resolves.toMatchObject({ ok: false, reason: 'busy' });
      await expect(first).resolves.toEqual({ ok: true, attendantId: 'att-7' });
    });

    it('checkPin restricted to one attendant: only that attendant PIN counts (second factor after a badge)', async () => {
      const g = gate();
      await expect(g.checkPin(PIN_A, { attendantId: 'att-b' })).resolves.toEqual(refused('wrong_pin', MAX - 1, null));
      await expect(g.checkPin(PIN_B, { attendantId: 'att-b' })).resolves.toEqual({ ok: true, attendantId: 'att-b' });
    });

    it('reads pins and badges at every check (a config applied later is in force at once)', async () => {
      const live = { pins: [] as AttendantGateOptions['pins'], badges: [] as NonNullable<AttendantGateOptions['badges']> };
      const g = new AttendantGate({
        get pins() {
          return live.pins;
        },
        get badges() {
          return live.badges;
        },
        maxAttempts: MAX,
        lockoutMs: LOCKOUT,
        badgePattern: '^ATT\\d{4,8}$',
        clock,
      });
      await expect(g.checkBadge(BADGE_7)).resolves.toMatchObject({ ok: false, reason: 'unknown_badge' });
      live.badges = badges!;
      await expect(g.checkBadge(BADGE_7)).resolves.toEqual({ ok: true, attendantId: 'att-7' });
    });
  });
});
