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
      expect.objectContaining({ storeId: 'S1', deviceId: 'K1', online: true, since: T, software: '3.0.1', configVersion: 4, pricebookVersion: 'pb-1', backlog: 5, lastEventTs: T - 5, lastSeen: T, telemetryAgeS: 1, health: 'ok' }),
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
    // a birth just seen: telemetry comes at connect and every 60 s; only after 1.5 intervals is it worth saying
    expect(v.rows(T)[1].health).toBe('ok');
    expect(v.rows(T + 60_000)[1].health).toBe('ok');
    expect(v.rows(T + 90_001)[1].health).toBe('waiting for telemetry');
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
    expect(lines[0]).toMatch(/^store\s+device\s+online\s+software\s+config\s+pricebook\s+backlog\s+last event\s+since\s+last seen\s+health$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      ['S1', 'K10', 'yes', '3.1.0'],
      ['S2', 'K1', 'yes', '3.0.1'],
    ]);
    expect(lines[2].indexOf('yes')).toBe(lines[3].indexOf('yes'));
  });
});

describe('FleetView: last seen', () => {
  it('a retained replay (HQ resubscribed) does not move last seen; a live message does', () => {
    const v = new FleetView();
    v.apply('kiosk/v1/S1/K1/state', state({}), T);
    v.apply('kiosk/v1/S1/K1/state', state({}), T + 3_600_000, true);
    expect(v.rows(T + 3_600_000)[0].lastSeen).toBe(T);
    v.apply('kiosk/v1/S1/K1/telemetry', telemetry({}), T + 3_600_001);
    expect(v.rows(T + 3_600_001)[0].lastSeen).toBe(T + 3_600_001);
  });

  it('takes config and price-book reports: the version in force survives a later refusal', () => {
    const v = new FleetView();
    v.apply('kiosk/v1/S1/K1/state', state({ configVersion: null }), T);
    v.apply('kiosk/v1/S1/K1/config/reported', JSON.stringify({ v: 1, levels: [{ level: 'fleet', version: 1, status: 'applied' }, { level: 'device', version: 2, status: 'applied' }] }), T);
    v.apply('kiosk/v1/S1/K1/config/reported', JSON.stringify({ v: 1, levels: [{ level: 'device', version: 1, status: 'rejected', reason: 'VERSION_NOT_NEWER' }] }), T);
    expect(v.rows(T)[0]).toMatchObject({ configVersion: 'fleet:1,device:2' });
    // a kiosk that says what is in force is believed
    v.apply('kiosk/v1/S1/K1/config/reported', JSON.stringify({ v: 1, levels: [{ level: 'device', version: 3, status: 'rejected', inForce: { version: 2 } }] }), T);
    expect(v.rows(T)[0].configLevels.find((l) => l.level === 'device')).toMatchObject({ version: 3, inForce: 2 });
    expect(v.apply('kiosk/v1/S1/K1/config/reported', '{"levels": 5}', T)).toBeNull();
    expect(v.apply('kiosk/v1/S1/_all/pricebook/reported', '{"status":"applied"}', T)).toBeNull();
  });
});
