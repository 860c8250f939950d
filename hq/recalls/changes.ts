import { changeSignal } from '../console/change-signal';
import type { IngestStore } from '../ingest/store';

/** Tells `hq serve`'s recall publisher (./service.ts) that recalls changed in this process (a console add or remove). */
const signal = changeSignal();

export const recallChanges = (store: IngestStore) => signal.of(store);
export const announceRecallChange = (store: IngestStore): void => signal.announce(store);
