import { laneCondition } from '../supervision/lane-condition';
import { ServiceFaults } from './service-faults';

describe('ServiceFaults', () => {
  it('sets, keeps the first time, clears and emits only on change', () => {
    let now = 1000;
    const f = new ServiceFaults(() => now);
    const seen: string[][] = [];
    f.on('change', (l) => seen.push(l.map((x) => `${x.source}:${x.reason}`)));
    f.set('storage', 'disk full');
    now = 2000;
    f.set('storage', 'disk full');
    f.set('storage', 'read-only');
    expect(f.get('storage')).toEqual({ source: 'storage', reason: 'read-only', since: 1000 });
    f.set('data', 'journal behind marker');
    expect(f.reasons()).toEqual(['storage: read-only', 'data: journal behind marker']);
    f.set('storage', null);
    f.set('storage', null);
    expect(seen).toEqual([['storage:disk full'], ['storage:read-only'], ['storage:read-only', 'data:journal behind marker'], ['data:journal behind marker']]);
  });

  it('any fault puts the lane out of service, red, with its reason', () => {
    const c = laneCondition({}, [], null, ['storage: disk full']);
    expect(c).toMatchObject({ inService: false, reasons: ['storage: disk full'], light: { color: 'red', mode: 'steady' } });
    expect(laneCondition({}, [], null, []).inService).toBe(true);
  });
});
