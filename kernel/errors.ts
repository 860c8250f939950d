/**
 * One error vocabulary for the whole kiosk. Expected faults are `KioskError`s with a string-union `code`;
 * programming bugs are assertions (`assert` below) and are never caught to keep going.
 */
export type KioskErrorCode =
  | 'CONFIG_INVALID'
  | 'EVENT_NOT_ALLOWED'
  | 'GUARD_REJECTED'
  /** A return the store's returns policy refuses (window, reason, approver); `details.rule` says which, `details.text` in zh-CN/en. */
  | 'RETURN_REFUSED'
  | 'ORDER_NOT_FOUND'
  | 'ORDER_ALREADY_OPEN'
  | 'PAYMENT_UNRESOLVED'
  | 'PAYMENT_DECLINED'
  | 'OFFLINE_LIMIT'
  | 'ITEM_NOT_FOUND'
  /** A price-book item that cannot be priced at the lane (e.g. its tax class left the config): the attendant is called. */
  | 'ITEM_UNPRICEABLE'
  | 'BARCODE_INVALID'
  | 'PRICEBOOK_INVALID'
  | 'JOURNAL_BROKEN'
  | 'DB_CLOSED'
  /** The HQ link (its uplink worker thread) is stopped or died; calls pending on it fail with this. */
  | 'HQ_LINK_DOWN'
  | 'TRUST_INVALID'
  | 'IDENTITY_INVALID'
  | 'DEVICE_OFFLINE'
  | 'DEVICE_BUSY'
  | 'DEVICE_STATE'
  | 'TIMEOUT'
  /** The lane is out of service (a required device down or blocked): no new order or payment starts. */
  | 'OUT_OF_SERVICE'
  | 'PAPER_OUT'
  | 'COVER_OPEN'
  | 'PROTOCOL'
  /** The database cannot be opened, read or written (disk full, not a database, corrupt, cannot open, read-only, I/O). */
  | 'STORAGE_FAILED'
  /** The database vanished, is another one, or went backwards against the data marker or HQ's acknowledged seq. */
  | 'DATA_BEHIND'
  /** The database was written by newer software (its schema version is above this software's latest migration). */
  | 'SCHEMA_NEWER'
  /** Another kiosk process holds this data dir's lock (one instance per data dir). */
  | 'ALREADY_RUNNING'
  /** A backup copy failed its check (integrity_check or the journal chain), or a restore was refused. */
  | 'BACKUP_INVALID'
  /** HQ console: a user's name, password, role or stores break the rules. */
  | 'USER_INVALID'
  /** HQ console: a user of that name exists already. */
  | 'USER_EXISTS'
  /** HQ console: no user of that name. */
  | 'USER_UNKNOWN'
  /** Data from outside (a channel's bill file, …) that is malformed, too large or inconsistent with itself. */
  | 'BAD_DATA'
  /** A sealed section (protocol/sealed) that this key cannot open: another kiosk's, altered, or malformed. */
  | 'SEALED_INVALID'
  /** HQ's certificate authority refuses: a CSR with a wrong name, key or signature, a CA or key file to overwrite, an unknown serial. */
  | 'CA_REFUSED';

export class KioskError extends Error {
  readonly code: KioskErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: KioskErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'KioskError';
    this.code = code;
    this.details = details;
  }
}

/** An event that the order's current state does not accept. Nothing was changed. */
export class EventNotAllowedError extends KioskError {
  constructor(
    readonly state: string,
    readonly event: string,
    orderId: string | null,
  ) {
    super('EVENT_NOT_ALLOWED', `event "${event}" is not allowed in state "${state}"`, { state, event, orderId });
    this.name = 'EventNotAllowedError';
  }
}

/** The event is declared for the state, but its guard refused it (e.g. checkout of an empty cart). */
export class GuardRejectedError extends KioskError {
  constructor(
    readonly state: string,
    readonly event: string,
    readonly reason: string,
  ) {
    super('GUARD_REJECTED', `event "${event}" refused in state "${state}": ${reason}`, { state, event, reason });
    this.name = 'GuardRejectedError';
  }
}

export class ConfigError extends KioskError {
  constructor(readonly problems: string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, { problems });
    this.name = 'ConfigError';
  }
}

export class AssertionFailed extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionFailed';
  }
}

/** For programming bugs only: a failed assertion is never an expected runtime condition. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}

export function isKioskError(e: unknown, code?: KioskErrorCode): e is KioskError {
  return e instanceof KioskError && (code === undefined || e.code === code);
}
