import { FleetView, renderFleet } from './fleet';

const T = 1_767_258_000_000;
const state = (o: object) => JSON.stringify({ v: 1, online: true, ts: T, software: '3.0.1', configVersion: 4, pricebookVersion: 'pb-1', counters: {}, ...o });
const telemetry = (o: object) => JSON.stringify({ v: 1, ts: T, backlog: 0, uptimeS: 10, disk: {}, devices: {}, ...o });

describe('FleetView', () => {
  it('is ok for an online kiosk with fresh telemetry and healthy devices', () => {
    const v = new FleetView();
    v.apply('kiosk/v1/S1/K1/state', state({}), T);
    v.apply('kiosk/v1/S1/K1/telemetry', telemetry({ backlog: 5, devices: { scanner: 'ok', printer: { status: 'ready' }, drawer: { ok: true } } }), T);
    v.apply('kiosk/v1/S1/K1/events', JSON.stringify({ v: 1, ts: T - 5 }), T);
    expect(v.rows(T + 1000)).toEqual([
      { storeId: 'S1', deviceId: 'K1', online: true, software: '3.0.1', configVersion: 4, pricebookVersion: 'pb-1', backlog: 5, lastEventTs: T - 5, telemetryAgeS: 1, health: 'ok' },
    ]);
  });

  it('names every problem: stale telemetry, a big backlog, faulty devices; offline wins', () => {
    const v = new FleetView(60_000, 1000);
    v.apply('kiosk/v1/S1/K1/state', state({}), T);
    v.apply('kiosk/v1/S1/K1/telemetry', telemetry({ backlog: 2500, devices: { printer: { ok: false }, scale: 'error' } }), T);
    expect(v.rows(T + 61_000)[0].health).toBe('stale telemetry, backlog 2500, printer: fault, scale: error');
    v.apply('kiosk/v1/S1/K1/state', JSON.stringify({ v: 1, online: false }), T + 62_000);
    expect(v.rows(T + 62_000)[0]).toMatchObject({ online: false, health: 'offline' });
    v.apply('kiosk/v1/S1/K2/state', state({}), T);
    expect(v.rows(T)[1].health).toBe('no telemetry');
  });

  it('ignores malformed messages, foreign topics and retained-clear (empty) payloads', () => {
    const v = new FleetView();
    expect(v.apply('kiosk/v1/S1/K1/state', 'nope', T)).toBeNull();
    expect(v.apply('kiosk/v1/S1/K1/state', JSON.stringify({ v: 2, online: true }), T)).toBeNull();
    expect(v.apply('kiosk/v1/S1/K1/telemetry', JSON.stringify({ v: 1 }), T)).toBeNull();
    expect(v.apply('other/topic', state({}), T)).toBeNull();
    expect(v.apply('kiosk/v1/S1/K1/state', '', T)).toBeNull();
    expect(v.rows(T)).toEqual([]);
  });

  it('renders an aligned table sorted by store and device', () => {
    const v = new FleetView();
    v.apply('kiosk/v1/S2/K1/state', state({}), T);
    v.apply('kiosk/v1/S1/K10/state', state({ software: '3.1.0' }), T);
    const lines = renderFleet(v.rows(T)).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^store\s+device\s+online\s+software\s+config\s+pricebook\s+backlog\s+last event\s+health$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      ['S1', 'K10', 'yes', '3.1.0'],
      ['S2', 'K1', 'yes', '3.0.1'],
    ]);
    expect(lines[2].indexOf('yes')).toBe(lines[3].indexOf('yes'));
  });
});
