import { FleetView } from './fleet';

const T = 1_767_258_000_000;
const TOPIC = 'kiosk/v1/S1/K1/state';
const birth = (o: object = {}) => JSON.stringify({ v: 1, online: true, ts: T, software: '3.0.1', configVersion: 'device:4', pricebookVersion: 'pb-1', counters: {}, ...o });

describe('FleetView: an offline state does not make HQ forget the kiosk', () => {
  it("an older kiosk's bare will keeps the last birth's versions and time", () => {
    const v = new FleetView();
    v.apply(TOPIC, birth(), T);
    v.apply(TOPIC, JSON.stringify({ v: 1, online: false }), T + 5000);
    expect(v.get('S1', 'K1')?.state).toMatchObject({ online: false, ts: T, software: '3.0.1', configVersion: 'device:4', pricebookVersion: 'pb-1' });
    expect(v.rows(T + 5000)[0]).toMatchObject({ online: false, configVersion: 'device:4', pricebookVersion: 'pb-1', health: 'offline' });
  });

  it('a will composed at connect, older than a later birth, keeps that birth’s versions', () => {
    const v = new FleetView();
    v.apply(TOPIC, birth({ ts: T + 1000, configVersion: 'device:5' }), T + 1000);
    v.apply(TOPIC, JSON.stringify({ v: 1, online: false, ts: T, software: '3.0.1', configVersion: 'device:4', pricebookVersion: 'pb-1' }), T + 9000);
    expect(v.get('S1', 'K1')?.state).toMatchObject({ online: false, ts: T + 1000, configVersion: 'device:5' });
  });

  it('a newer offline state (a clean stop) is taken as it is', () => {
    const v = new FleetView();
    v.apply(TOPIC, birth(), T);
    v.apply(TOPIC, JSON.stringify({ v: 1, online: false, ts: T + 60_000, software: '3.0.2', configVersion: null, pricebookVersion: 'pb-2' }), T + 60_000);
    expect(v.get('S1', 'K1')?.state).toMatchObject({ online: false, ts: T + 60_000, software: '3.0.2', configVersion: null, pricebookVersion: 'pb-2' });
  });

  it('the will alone (HQ restarted) is all HQ has, with its time and versions', () => {
    const v = new FleetView();
    v.apply(TOPIC, JSON.stringify({ v: 1, online: false, ts: T, software: '3.0.1', configVersion: 'device:4', pricebookVersion: 'pb-1' }), T + 9000);
    expect(v.rows(T + 9000)[0]).toMatchObject({ online: false, software: '3.0.1', configVersion: 'device:4', pricebookVersion: 'pb-1' });
  });
});
