import { changeSignal } from '../console/change-signal';
import type { IngestStore } from '../ingest/store';

/** Tells `hq serve`'s member publisher (./service.ts) that member records or points changed in this process. */
const signal = changeSignal();

export const memberChanges = (store: IngestStore) => signal.of(store);
export const announceMemberChange = (store: IngestStore): void => signal.announce(store);
