/**
 * Fuzz target (issue 11): ESC/POS status decoding of the receipt printer (drivers/printer/status.ts): the reply
 * byte to each `DLE EOT n`, whatever the line delivers (any byte, a number out of range, NaN), then combined,
 * turned into contract faults and described.
 * Asserted: a status or KioskError PROTOCOL with a bounded message; a byte without the fixed bits is always refused;
 * faults are a subset of the contract's, in its order; the description is short.
 */
import fc from 'fast-check';
import { combineStatus, describeStatus, isStatusByte, parseStatusReply, statusFaults, type StatusQuery, type StatusReply } from '../../drivers/printer/status';
import { onlyKioskErrors, params } from '../support/fuzz';

const reply = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 255 }) }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double()) });
const query = fc.constantFrom<StatusQuery>(1, 2, 3, 4);
const FAULTS = ['PAPER_OUT', 'PAPER_NEAR_END', 'COVER_OPEN', 'HARDWARE'];

describe('fuzz: ESC/POS status decode', () => {
  it('any reply to any DLE EOT n: a status (only for a status byte) or PROTOCOL', () => {
    fc.assert(
      fc.property(query, reply, (n, b) => {
        const r = onlyKioskErrors(['PROTOCOL'], () => parseStatusReply(n, b));
        expect(r !== undefined).toBe(isStatusByte(b));
        if (r) expect(r.n).toBe(n);
      }),
      params,
    );
  });

  it('any four replies: combined status, faults in contract order, a short description', () => {
    fc.assert(
      fc.property(reply, reply, reply, reply, (b1, b2, b3, b4) => {
        const r1 = onlyKioskErrors(['PROTOCOL'], () => parseStatusReply(1, b1)) as (StatusReply & { n: 1 }) | undefined;
        const r2 = onlyKioskErrors(['PROTOCOL'], () => parseStatusReply(2, b2)) as (StatusReply & { n: 2 }) | undefined;
        const r3 = onlyKioskErrors(['PROTOCOL'], () => parseStatusReply(3, b3)) as (StatusReply & { n: 3 }) | undefined;
        const r4 = onlyKioskErrors(['PROTOCOL'], () => parseStatusReply(4, b4)) as (StatusReply & { n: 4 }) | undefined;
        if (!r1 || !r2 || !r4) return;
        const s = combineStatus(r1, r2, r4, r2.error ? r3 : undefined);
        const faults = statusFaults(s);
        expect(faults).toEqual(FAULTS.filter((f) => faults.includes(f as never)));
        expect(describeStatus(s).length).toBeLessThan(120);
        expect(s.paperOut).toBe(r4.paperEnd || r2.paperEndStop);
      }),
      params,
    );
  });
});
