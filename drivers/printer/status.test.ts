import fc from 'fast-check';
import { isKioskError } from '../../kernel/errors';
import { combineStatus, dleEot, describeStatus, isStatusByte, parseStatusReply, statusFaults, type StatusReply } from './status';

const r1 = (b: number) => parseStatusReply(1, b) as StatusReply & { n: 1 };
const r2 = (b: number) => parseStatusReply(2, b) as StatusReply & { n: 2 };
const r3 = (b: number) => parseStatusReply(3, b) as StatusReply & { n: 3 };
const r4 = (b: number) => parseStatusReply(4, b) as StatusReply & { n: 4 };

describe('DLE EOT status parsing', () => {
  it('builds the query bytes', () => {
    expect([...dleEot(1)]).toEqual([0x10, 0x04, 0x01]);
    expect([...dleEot(4)]).toEqual([0x10, 0x04, 0x04]);
  });

  it('a ready printer: 0x12 to every query, no faults', () => {
    const st = combineStatus(r1(0x12), r2(0x12), r4(0x12));
    expect(st).toEqual({ online: true, coverOpen: false, paperNearEnd: false, paperOut: false, drawerOpen: false, error: false, feedButtonPressed: false });
    expect(statusFaults(st)).toEqual([]);
    expect(describeStatus(st)).toBe('ready');
  });

  it('n=1: bit 3 offline, bit 2 drawer pin 3, bit 6 feed button', () => {
    expect(r1(0x1a)).toMatchObject({ offline: true, drawerPin3High: false });
    expect(r1(0x16)).toMatchObject({ offline: false, drawerPin3High: true });
    expect(r1(0x52)).toMatchObject({ feedButtonPressed: true });
    expect(combineStatus(r1(0x1e), r2(0x12), r4(0x12))).toMatchObject({ online: false, drawerOpen: true });
  });

  it('n=2: bit 2 cover open → COVER_OPEN', () => {
    const st = combineStatus(r1(0x1a), r2(0x16), r4(0x12));
    expect(st).toMatchObject({ online: false, coverOpen: true, paperOut: false });
    expect(statusFaults(st)).toEqual(['COVER_OPEN']);
  });

  it('n=2: bit 3 paper fed by the button, bit 5 paper-end stop, bit 6 error', () => {
    expect(r2(0x1a)).toMatchObject({ feedingByButton: true, coverOpen: false });
    expect(r2(0x32)).toMatchObject({ paperEndStop: true });
    expect(r2(0x52)).toMatchObject({ error: true });
    // the paper-end stop alone counts as paper out
    expect(statusFaults(combineStatus(r1(0x1a), r2(0x32), r4(0x12)))).toEqual(['PAPER_OUT']);
  });

  it('n=3: error causes; an error is the HARDWARE fault', () => {
    expect(r3(0x1a)).toMatchObject({ autocutterError: true, unrecoverableError: false });
    expect(r3(0x32)).toMatchObject({ unrecoverableError: true });
    expect(r3(0x52)).toMatchObject({ autoRecoverableError: true });
    expect(r3(0x16)).toMatchObject({ mechanicalError: true });
    const st = combineStatus(r1(0x1a), r2(0x52), r4(0x12), r3(0x1a));
    expect(st.errorCause).toEqual({ mechanical: false, autocutter: true, unrecoverable: false, autoRecoverable: false });
    expect(statusFaults(st)).toEqual(['HARDWARE']);
    expect(describeStatus(st)).toBe('error (autocutter)');
  });

  it('n=4: bits 2-3 paper near end, bits 5-6 paper end (either bit of a pair counts)', () => {
    for (const b of [0x16, 0x1a, 0x1e]) expect(r4(b)).toEqual({ n: 4, paperNearEnd: true, paperEnd: false });
    for (const b of [0x32, 0x52, 0x72]) expect(r4(b)).toEqual({ n: 4, paperNearEnd: false, paperEnd: true });
    expect(statusFaults(combineStatus(r1(0x12), r2(0x12), r4(0x1e)))).toEqual(['PAPER_NEAR_END']);
    // paper out as a printer reports it: offline, paper-end stop, near end and end sensors
    const out = combineStatus(r1(0x1a), r2(0x32), r4(0x7e));
    expect(out).toMatchObject({ online: false, paperOut: true, paperNearEnd: true });
    expect(statusFaults(out)).toEqual(['PAPER_OUT', 'PAPER_NEAR_END']);
    expect(describeStatus(out)).toBe('paper out');
  });

  it('faults come in one fixed order', () => {
    const all = combineStatus(r1(0x1a), r2(0x76), r4(0x7e), r3(0x32));
    expect(statusFaults(all)).toEqual(['PAPER_OUT', 'PAPER_NEAR_END', 'COVER_OPEN', 'HARDWARE']);
  });

  it.each([0x00, 0xff, 0x10, 0x02, 0x13, 0x92, 0x93, 0x0a, 0x80])('garbage reply byte %d is a PROTOCOL error', (b) => {
    for (const n of [1, 2, 3, 4] as const) {
      let err: unknown;
      try {
        parseStatusReply(n, b);
      } catch (e) {
        err = e;
      }
      expect(isKioskError(err, 'PROTOCOL')).toBe(true);
      expect((err as Error).message).toContain(`DLE EOT ${n}`);
    }
  });

  it('property: any byte either parses (fixed bits 0x12 under mask 0x93) or is a PROTOCOL error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const), (b, n) => {
        const valid = (b & 0x93) === 0x12;
        expect(isStatusByte(b)).toBe(valid);
        try {
          const r = parseStatusReply(n, b);
          expect(valid).toBe(true);
          expect(r.n).toBe(n);
        } catch (e) {
          expect(valid).toBe(false);
          expect(isKioskError(e, 'PROTOCOL')).toBe(true);
        }
      }),
    );
  });
});
