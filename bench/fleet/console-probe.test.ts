import { percentile } from '../percentile';
import { allOnline, consoleTable, fleetCounts, ProbeWindows, type ProbeSample } from './console-probe';

const ok = (ms: number, at = 0, path = '/fleet'): ProbeSample => ({ path, at, ms, error: null });
const bad = (error: ProbeSample['error'], ms = 10_000): ProbeSample => ({ path: '/orders', at: 0, ms, error });

describe('percentile (nearest rank)', () => {
  it('picks the value at rank ceil(p/100 × n)', () => {
    const xs = Array.from({ length: 20 }, (_, i) => (i + 1) * 10); // 10 … 200
    expect(percentile(xs, 50)).toBe(100); // rank 10
    expect(percentile(xs, 95)).toBe(190); // rank 19
    expect(percentile(xs, 100)).toBe(200);
    expect(percentile(xs, 0)).toBe(10); // rank clamped to 1
  });

  it('is the value itself for one sample, NaN for none', () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('ProbeWindows', () => {
  it('counts every request of a window, the errors by kind, and times only the answered ones', () => {
    const w = new ProbeWindows();
    w.open('burst', 1_000);
    for (const ms of [30, 10, 20, 40]) w.record('burst', ok(ms));
    w.record('burst', bad('timeout'));
    w.record('burst', bad('HTTP 502', 5));
    w.record('burst', bad('timeout'));
    const s = w.summary('burst');
    expect(s).toMatchObject({ window: 'burst', requests: 7, errors: 3, errorKinds: { 'timeout /orders': 2, 'HTTP 502 /orders': 1 }, unknown: 0, p50: 20, p95: 40, max: 40, openedAt: 1_000, closedAt: null });
  });

  it('counts a 404 of a page not known yet as answered (timed), not as an error', () => {
    const w = new ProbeWindows();
    w.open('idle', 0);
    w.record('idle', ok(50));
    w.record('idle', { path: '/fleet/s001/lane-01', at: 0, ms: 4, error: null, unknown: true });
    expect(w.summary('idle')).toMatchObject({ requests: 2, errors: 0, unknown: 1, p50: 4, max: 50 });
  });

  it('keeps windows apart, drops samples of no window, closes the open one when another opens, and adds up a reopened one', () => {
    const w = new ProbeWindows();
    w.open('idle', 0);
    w.record('idle', ok(5));
    expect(w.openWindow).toBe('idle');
    w.open('burst', 10_000);
    expect(w.summary('idle').closedAt).toBe(10_000);
    w.record('burst', ok(80));
    w.record(null, ok(1)); // between windows: not recorded anywhere
    w.record('never opened', ok(1));
    w.open(null, 20_000);
    expect(w.openWindow).toBeNull();
    expect(w.summary('burst').closedAt).toBe(20_000);
    w.open('idle', 30_000);
    w.record('idle', ok(15));
    expect(w.names()).toEqual(['idle', 'burst']);
    expect(w.summary('idle')).toMatchObject({ requests: 2, openedAt: 0, closedAt: null, p50: 5, max: 15 });
    expect(w.summary('burst')).toMatchObject({ requests: 1, p50: 80 });
  });

  it('summarises a window with only errors as NaN latencies', () => {
    const w = new ProbeWindows();
    w.open('down', 0);
    w.record('down', bad('refused', 1));
    const s = w.summary('down');
    expect(s.errors).toBe(1);
    expect(s.p50).toBeNaN();
    expect(s.max).toBeNaN();
  });
});

describe('fleetCounts', () => {
  it("reads the fleet view's online and total counters", () => {
    const html = '<div class="value" id="count-total">50</div> … <div class="value" id="count-online">47</div>';
    expect(fleetCounts(html)).toEqual({ online: 47, total: 50 });
  });

  it('is null on a page without them (the login form after a lost session)', () => {
    expect(fleetCounts('<form method="post" action="/login">')).toBeNull();
  });
});

describe('allOnline', () => {
  const reads = [
    { at: 100, online: 50, total: 50 }, // before the broker stopped
    { at: 200, online: 50, total: 50 }, // stopped, HQ has not noticed
    { at: 300, online: 12, total: 50 },
    { at: 400, online: 49, total: 50 },
    { at: 500, online: 50, total: 50 },
    { at: 600, online: 50, total: 50 },
  ];

  it('finds the first read at or after `from` showing all n online, and the fewest online since `since`', () => {
    expect(allOnline(reads, 50, 250, 150)).toEqual({ at: 500, minOnline: 12, readings: 5 });
  });

  it('does not take a total below n for "all online"', () => {
    expect(allOnline([{ at: 10, online: 40, total: 40 }], 50, 0)).toEqual({ at: null, minOnline: 40, readings: 1 });
  });

  it('is null / NaN without reads', () => {
    const r = allOnline([], 50, 0);
    expect(r.at).toBeNull();
    expect(r.minOnline).toBeNaN();
  });
});

describe('consoleTable', () => {
  it('prints one row per window with the errors by kind and p50 relative to idle', () => {
    const w = new ProbeWindows();
    w.open('idle', 0);
    for (const ms of [10, 10, 12]) w.record('idle', ok(ms));
    w.record('idle', { path: '/fleet/s/d', at: 0, ms: 3, error: null, unknown: true });
    w.open('connect burst', 1);
    for (const ms of [25, 30, 35]) w.record('connect burst', ok(ms));
    w.record('connect burst', bad('timeout'));
    w.open('broker down', 2);
    w.record('broker down', bad('refused', 1));
    const rows = consoleTable(
      50,
      1,
      w.names().map((x) => w.summary(x)),
    );
    expect(rows).toEqual([
      '| 50 | 1 | idle | 4 | 0 (+1 kiosk page 404 before HQ knew the kiosk) | 10 | 12 | 12 | ×1.0 |',
      '| 50 | 1 | connect burst | 4 | 1 (1 timeout /orders) | 30 | 35 | 35 | ×3.0 |',
      '| 50 | 1 | broker down | 1 | 1 (1 refused /orders) | – | – | – | – |',
    ]);
  });
});
