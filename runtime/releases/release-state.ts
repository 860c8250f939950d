import * as fs from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { RELEASE_STEPS, releaseOfferSchema } from '../../protocol/releases/release-offer';
import { stateFile } from './layout';

/**
 * The updater's trusted state, `<root>/updates/state.json` (atomic writes). TUF's rule: it is written only after an
 * offer verified, and `acceptedOfferVersion` never goes down — a replayed older offer is refused as `not_newer`.
 */
export const releaseStateSchema = z
  .object({
    v: z.literal(1),
    /** The envelope version of the last offer that verified (accepted or refused by the kiosk's own checks). */
    acceptedOfferVersion: z.number().int().min(1).nullable(),
    /** The install offer being worked on, until it is switched to, failed or withdrawn. */
    active: z
      .object({
        envelopeVersion: z.number().int().min(1),
        offer: releaseOfferSchema,
        step: z.enum(RELEASE_STEPS),
      })
      .strict()
      .nullable(),
  })
  .strict();
export type ReleaseState = z.infer<typeof releaseStateSchema>;

const EMPTY: ReleaseState = { v: 1, acceptedOfferVersion: null, active: null };

/** Reads the state; a missing file is the empty state. A corrupt one throws (it is never silently reset: replay). */
export function readReleaseState(root: string): ReleaseState {
  const file = stateFile(root);
  if (!fs.existsSync(file)) return EMPTY;
  return releaseStateSchema.parse(boundedJsonParse(fs.readFileSync(file), { maxBytes: JSON_LIMITS.localStateFile }));
}

export function writeReleaseState(root: string, state: ReleaseState): void {
  const prev = fs.existsSync(stateFile(root)) ? readReleaseState(root).acceptedOfferVersion : null;
  if (prev !== null && (state.acceptedOfferVersion === null || state.acceptedOfferVersion < prev)) {
    throw new RangeError(`the accepted offer version may not go down (${prev} → ${state.acceptedOfferVersion})`);
  }
  writeFileAtomic(stateFile(root), `${JSON.stringify(releaseStateSchema.parse(state), null, 2)}\n`, 0o600);
}
