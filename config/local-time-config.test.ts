import { loadConfig } from './load';
import { ConfigError } from '../kernel/errors';

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('config: timezone and reports.dayStartHour', () => {
  it('defaults to the system zone and a business day starting at midnight', () => {
    const c = loadConfig({ env: {} });
    expect(c.timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(c.reports.dayStartHour).toBe(0);
  });

  it('takes an IANA zone and a day-start hour from the file or KIOSK_* variables', () => {
    const c = loadConfig({ env: { KIOSK_TIMEZONE: 'Asia/Shanghai', KIOSK_REPORTS__DAY_START_HOUR: '4' } });
    expect(c.timezone).toBe('Asia/Shanghai');
    expect(c.reports.dayStartHour).toBe(4);
  });

  it('refuses an unknown zone and an hour outside 0–23, naming the field', () => {
    expect(problems(() => loadConfig({ env: {}, overrides: { timezone: 'Asia/Shanghia' } }))).toEqual([
      'timezone: expected an IANA time zone such as "Asia/Shanghai", got "Asia/Shanghia"',
    ]);
    // from the environment the line also names the variable (whatever prefix the loader gives it)
    const fromEnv = problems(() => loadConfig({ env: { KIOSK_TIMEZONE: 'Mars/Olympus' } }));
    expect(fromEnv).toHaveLength(1);
    expect(fromEnv[0]).toMatch(/timezone: expected an IANA time zone such as "Asia\/Shanghai", got "Mars\/Olympus"$/);
    expect(problems(() => loadConfig({ env: {}, overrides: { timezone: 8 } }))[0]).toMatch(/^timezone: expected an IANA time zone/);
    expect(problems(() => loadConfig({ env: {}, overrides: { reports: { dayStartHour: 24 } } }))).toEqual(['reports.dayStartHour: expected integer ≥ 0 and ≤ 23, got 24']);
    expect(problems(() => loadConfig({ env: {}, overrides: { reports: { dayStartHour: 4.5 } } }))[0]).toMatch(/^reports\.dayStartHour: expected integer/);
  });
});
