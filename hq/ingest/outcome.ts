import type { EventMessage } from '../../protocol/sync/messages';
/** What IngestStore.acceptBatch decides per event and per device (./accept-batch.ts). */

export type AcceptStatus = 'stored' | 'duplicate' | 'rejected';

export interface Gap {
  from: number;
  to: number;
}

export interface AcceptResult {
  status: AcceptStatus;
  /** The device's highest contiguous stored seq after this event. */
  contiguousSeq: number;
  /** Stored events lie above a hole: seqs `from..to` are missing. */
  gap?: Gap;
  /** Why a rejected event was rejected (`hash mismatch`, `chain break at seq N`, …). */
  reason?: string;
}

/** What HQ acknowledges to one device after a batch: `seq` and the hash of that entry as HQ stored it. */
export interface DeviceAck {
  storeId: string;
  deviceId: string;
  seq: number;
  hash: string;
}

/** One refused event kept in quarantine. `isNew`: this copy (seq + hash) was not in quarantine before. */
export interface QuarantineNote {
  storeId: string;
  deviceId: string;
  seq: number;
  hash: string;
  reason: string;
  isNew: boolean;
}

export interface BatchOutcome {
  /** One per event, in order (as acceptMany). */
  results: AcceptResult[];
  /** At most one per device: see {@link IngestStore.acceptBatch}. */
  acks: DeviceAck[];
  /** Every rejected event of the batch, now in the quarantine table. */
  quarantined: QuarantineNote[];
  /**
   * With `yieldContended` (PostgreSQL): the events handled, in order (`results` is one per event of these), and
   * those of devices another batch held, not handled: the caller's for a later batch. Absent: every event was handled.
   */
  accepted?: EventMessage[];
  deferred?: EventMessage[];
}
