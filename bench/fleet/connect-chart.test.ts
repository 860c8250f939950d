import { connectRateChart } from './connect-chart';

const bars = (chart: string) =>
  chart
    .split('\n')
    .filter((l) => l.includes('|'))
    .map((l) => l.slice(l.indexOf('|') + 1));

it('counts connects per 250 ms bucket after t0, ignoring earlier ones, tallest bucket at the top row', () => {
  const t0 = 1_000_000;
  const chart = connectRateChart([t0 - 5, t0, t0 + 100, t0 + 200, t0 + 600, t0 + 1_100], t0, { height: 3 });
  expect(chart.split('\n')[0]).toBe('connects per 250 ms after t0 (5 in all, peak 3)');
  // buckets: [0,250) 3, [250,500) 0, [500,750) 1, [750,1000) 0, [1000,1250) 1
  expect(bars(chart)).toEqual(['#    ', '#    ', '# # #']);
});

it('widens the buckets to a multiple of 250 ms when the span needs more columns than allowed', () => {
  const t0 = 0;
  const times = Array.from({ length: 100 }, (_, i) => i * 300); // 0 … 29.7 s
  const chart = connectRateChart(times, t0, { maxColumns: 80 });
  expect(chart).toMatch(/^connects per 500 ms after t0 \(100 in all, peak 2\)/);
  expect(Math.max(...bars(chart).map((b) => b.length))).toBe(60);
});

it('says so when nothing connected', () => {
  expect(connectRateChart([], 0)).toBe('(no connects)');
});
