import { parseTelemetry } from './messages';

describe('parseTelemetry: older and newer kiosks', () => {
  const old = { v: 1, ts: 1, backlog: 0, uptimeS: 5, disk: {}, devices: { inService: true, reasons: [] } };

  it('reads an older kiosk (only `devices`) and a newer one (lane, peripherals, payments in doubt)', () => {
    expect(parseTelemetry(JSON.stringify(old))).toEqual(old);
    const newer = { ...old, lane: { state: 'closed', reasons: ['cleaning'] }, peripherals: { printer: { status: 'online', faults: ['PAPER_OUT'] } }, paymentsInDoubt: 2 };
    expect(parseTelemetry(JSON.stringify(newer))).toEqual(newer);
  });

  it('leaves out a malformed optional field instead of refusing the message, and never sets a prototype', () => {
    const bad = { ...old, lane: { state: 'sleeping', reasons: [] }, peripherals: { __proto__x: 1, printer: { status: 'online', faults: 'PAPER_OUT' }, light: { status: 'online', faults: [] } }, paymentsInDoubt: -1 };
    const raw = JSON.stringify(bad).replace('"__proto__x"', '"__proto__"');
    const t = parseTelemetry(raw);
    expect(t.lane).toBeUndefined();
    expect(t.paymentsInDoubt).toBeUndefined();
    expect(t.peripherals).toEqual({ light: { status: 'online', faults: [] } });
    expect(Object.getPrototypeOf(t.peripherals)).toBe(Object.prototype);
  });
});
