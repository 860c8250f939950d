import { ConfigError } from '../kernel/errors';
import { loadConfig } from './load';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('hq.reconnect (the HQ link\'s full-jitter reconnect backoff)', () => {
  it('defaults to base 1 s, cap 60 s', () => {
    expect(loadConfig({ env: {} }).hq.reconnect).toEqual({ baseMs: 1000, capMs: 60_000 });
  });

  it('takes a policy from the environment, each key on its own, the other kept from the defaults', () => {
    expect(loadConfig({ env: { KIOSK_HQ__RECONNECT__CAP_MS: '5000' } }).hq.reconnect).toEqual({ baseMs: 1000, capMs: 5000 });
    expect(loadConfig({ env: {}, overrides: { hq: { reconnect: { baseMs: 250 } } } }).hq.reconnect).toEqual({ baseMs: 250, capMs: 60_000 });
  });

  it('refuses a cap below the base, a zero or fractional base, a cap past a day and unknown keys, naming each', () => {
    expect(problems(() => loadConfig({ env: { KIOSK_HQ__RECONNECT__BASE_MS: '2000', KIOSK_HQ__RECONNECT__CAP_MS: '1000' } }))).toEqual([
      expect.stringMatching(/hq\.reconnect\.capMs: expected capMs ≥ baseMs/),
    ]);
    expect(problems(() => loadConfig({ env: {}, overrides: { hq: { reconnect: { baseMs: 0 } } } }))).toEqual([expect.stringMatching(/^hq\.reconnect\.baseMs: expected integer ≥ 1/)]);
    expect(problems(() => loadConfig({ env: {}, overrides: { hq: { reconnect: { baseMs: 1.5 } } } }))).toEqual([expect.stringMatching(/^hq\.reconnect\.baseMs: expected integer/)]);
    expect(problems(() => loadConfig({ env: {}, overrides: { hq: { reconnect: { capMs: 86_400_001 } } } }))).toEqual([expect.stringMatching(/^hq\.reconnect\.capMs: expected integer ≥ 1 and ≤ 86400000/)]);
    expect(problems(() => loadConfig({ env: {}, overrides: { hq: { reconnect: { jitter: 'none' } } } })).join('\n')).toMatch(/hq\.reconnect.*jitter/);
  });
});
