import { FleetView } from './fleet';

const T = 1_767_258_000_000;
const REASON = '/data/kiosk.sqlite is not a SQLite database (SQLITE_NOTADB): restore it from a backup';

describe('FleetView: a kiosk in its boot fault shell', () => {
  it('shows the boot fault as the health of an online kiosk without telemetry', () => {
    const v = new FleetView();
    v.apply('kiosk/v1/S1/K1/state', JSON.stringify({ v: 1, online: true, ts: T, software: 'kiosk-runtime/0.1.0', fault: { code: 'STORAGE_FAILED', reason: REASON } }), T);
    expect(v.rows(T)[0]).toMatchObject({ online: true, health: `out of service at boot: ${REASON}` });
    // the kiosk booted: its own birth (no fault) replaces the state, and telemetry is what counts again
    v.apply('kiosk/v1/S1/K1/state', JSON.stringify({ v: 1, online: true, ts: T + 1, software: 'kiosk-runtime/0.1.0' }), T + 1);
    expect(v.rows(T + 1)[0].health).toBe('ok');
    expect(v.rows(T + 100_000)[0].health).toBe('waiting for telemetry');
  });

  it('ignores a fault that is not a string and bounds a long one', () => {
    const v = new FleetView();
    v.apply('kiosk/v1/S1/K1/state', JSON.stringify({ v: 1, online: true, fault: { reason: { deep: 1 } } }), T);
    expect(v.rows(T + 100_000)[0].health).toBe('waiting for telemetry');
    v.apply('kiosk/v1/S1/K2/state', JSON.stringify({ v: 1, online: true, fault: { code: 'X', reason: 'r'.repeat(5000) } }), T);
    expect(v.rows(T)[1].health).toBe(`out of service at boot: ${'r'.repeat(300)}`);
  });
});
