/**
 * Size limits (UTF-8 bytes) of every JSON the kiosk or HQ accepts from outside, by call site. Depth is
 * DEFAULT_MAX_DEPTH (64) everywhere: no message or file of ours nests deeper than ~8.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

export const JSON_LIMITS = {
  /** ack / resend / state / telemetry / events on the sync topics (an event carries one journal entry). */
  syncMessage: 1 * MiB,
  /** A signed envelope: config bundle, command or price-book manifest (a 1M-item book lists ~730 chunks, ~90 KiB). */
  envelope: 4 * MiB,
  /** `cmd/result` read by `hq cmd --wait`. */
  commandResult: 1 * MiB,
  /** One price-book record: a JSONL line, a line of a gzip NDJSON chunk (protocol/pricebook/reader.ts MAX_RECORD_BYTES). */
  pricebookRecord: 4 * MiB,
  /** A whole `.json` price book (read and parsed at once; large books are CSV or JSONL). */
  pricebookDocument: 256 * MiB,
  /** Config file (`--config`, KIOSK_CONFIG), one KIOSK_* variable, HQ's `config push` input. */
  configFile: 4 * MiB,
  /** identity.json, the trust index, control.json: small files the kiosk writes itself. */
  localStateFile: 1 * MiB,
  /** Body of a request to / answer from the local control server. */
  controlBody: 64 * KiB,
  /** A QR gateway response (the signed `…_response` object). */
  gatewayResponse: 1 * MiB,
} as const;
