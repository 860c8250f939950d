import { LOCK_MS, MAX_FAILED_LOGINS } from './lockout-policy';
import { UnknownNameLockout } from './login-lockout';

describe('lockout of unknown usernames', () => {
  it('locks a name after the same number of failures as a real one, for the same time, then counts again', () => {
    const l = new UnknownNameLockout();
    for (let i = 1; i < MAX_FAILED_LOGINS; i++) expect(l.fail('ghost', 1000)).toBe(false);
    expect(l.lockedUntil('ghost', 1000)).toBeNull();
    expect(l.fail('ghost', 1000)).toBe(true);
    expect(l.lockedUntil('ghost', 1000 + LOCK_MS - 1)).toBe(1000 + LOCK_MS);
    expect(l.lockedUntil('ghost', 1000 + LOCK_MS)).toBeNull();
    expect(l.fail('ghost', 1000 + LOCK_MS)).toBe(false);
  });

  it('remembers a bounded number of names, forgetting the least recently failed', () => {
    const l = new UnknownNameLockout(3);
    for (const n of ['a', 'b', 'c']) l.fail(n, 0);
    l.fail('a', 0); // a is now the most recent
    l.fail('d', 0);
    expect(l.size).toBe(3);
    for (let i = 2; i < MAX_FAILED_LOGINS; i++) l.fail('a', 0);
    expect(l.lockedUntil('a', 0)).not.toBeNull(); // a kept its count: b was forgotten, not a
    for (let i = 1; i < MAX_FAILED_LOGINS; i++) l.fail('b', 0);
    expect(l.lockedUntil('b', 0)).toBeNull(); // b starts again from zero
  });
});
