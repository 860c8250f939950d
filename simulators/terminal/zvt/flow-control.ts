/** The state of the transaction in progress, and how a flow ends early. */
export interface Active {
  aborted: boolean;
  linkLost: boolean;
  wakers: Set<() => void>;
}

/** Thrown inside a flow when the ECR aborts, the line drops or the ECR stops answering. */
export class FlowBroken extends Error {
  constructor(readonly why: 'aborted' | 'link' | 'no-ack') {
    super(why);
  }
}

/** The ECR's answer to a message: 80 00 00 (ok) or 84 <code> (not ok). */
export type Answer = { ok: true } | { ok: false; code: number };
