/**
 * The records of a price-book CSV file, in runs, each with the 1-based line it starts on and the bytes of the file
 * read up to it — RFC 4180 as csv-parse reads it (quotes, `""`, line breaks inside quoted fields, a UTF-8 BOM, the
 * record delimiter found at the first line end: LF, CRLF or CR).
 *
 * csv-parse reads every record here too, except the plain ones: a line with no quote character is split at its
 * commas, which is all csv-parse would do with it, at a fraction of the cost (a million-row book: csv-parse and the
 * Buffer slices it makes per field took ~3.3 s of ~5.7 s of reading; see bench/pricebook). A record with a quote
 * is gathered up to the line end where its quotes are balanced (a line end inside a quoted field leaves an odd
 * count before it) and handed whole to csv-parse, with the same options and record delimiter; what it refuses is
 * refused with csv-parse's own code. A file whose records end in a lone CR is read by csv-parse's stream
 * throughout. csv-rows.property.test.ts checks both ways agree, record by record and error by error, on generated files.
 */
import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { CsvError, parse as parseCsv, type CsvErrorCode, type Options as CsvOptions } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';

/** A CSV record: its fields and the 1-based line it starts on. */
export interface CsvRow {
  fields: string[];
  line: number;
}

/** Records in file order, and the bytes of the file they and all before them came from. */
export interface CsvRun {
  rows: CsvRow[];
  bytes: number;
}

/** CSV the reader cannot make records of: csv-parse's code (or `CSV_MAX_RECORD_SIZE`) and the record's first line. */
export class MalformedCsv extends Error {
  constructor(
    readonly line: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MalformedCsv';
  }
}

export interface CsvRowsOptions {
  /** The longest record (characters) before the file is refused, so a corrupt file cannot make the reader buffer without limit. */
  maxRecordBytes: number;
  /** Bytes per read; default 16 KiB (a read is one string: at 64 KiB, two-byte text goes to V8’s large-object space, and a 1 M-row read peaked 18 MiB higher). */
  highWaterMark?: number;
  /** 'stream': csv-parse reads every record (the reference csv-rows.test.ts compares the default with). */
  mode?: 'auto' | 'stream';
}

const QUOTE = '"';

function newlinesIn(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function quotesIn(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf(QUOTE, from); i !== -1 && i < to; i = s.indexOf(QUOTE, i + 1)) n++;
  return n;
}

/** csv-parse's options for a price book (the streaming reference and the quoted records alike). */
function csvOptions(maxRecordBytes: number): CsvOptions {
  return { relax_column_count: true, skip_empty_lines: false, max_record_size: maxRecordBytes };
}

/** A csv-parse error: its class, or one of its codes — not all `CSV_`-prefixed (a stray quote is `INVALID_OPENING_QUOTE`). */
const CSV_ERROR_CODES_WITHOUT_PREFIX: readonly string[] = ['INVALID_OPENING_QUOTE'] satisfies CsvErrorCode[];
function isCsvError(e: unknown): e is CsvError {
  if (e instanceof CsvError) return true;
  const code = e instanceof Error ? (e as Partial<CsvError>).code : undefined;
  return typeof code === 'string' && (code.startsWith('CSV_') || CSV_ERROR_CODES_WITHOUT_PREFIX.includes(code));
}

/**
 * csv-parse's message without its own "at line N": it counts from where it was handed the text (one record here),
 * and over-counts CRLFs inside quoted fields when streaming; the reader names the record's line itself.
 */
const withoutItsLine = (message: string): string => message.replace(/ (?:at|on) line \d+/g, '');

/** The file's records in runs (about one read's worth each). Throws {@link MalformedCsv}; file-system errors as they are. */
export function csvRowRuns(path: string, opts: CsvRowsOptions): AsyncGenerator<CsvRun> {
  return opts.mode === 'stream' ? streamRuns(path, opts) : splitRuns(path, opts);
}

// ------------------------------------------------------------------------------------------- split (the default)

/** How the first line ends: decided once the text holds a line end outside quotes (or the file ends without one). */
type Delimiter = '\n' | '\r\n' | '\r';

/** The first line end outside quotes in `text`, or null (undecided: no line end yet, or a CR that may be a CRLF's half). */
function firstDelimiter(text: string, ended: boolean): Delimiter | null {
  let quotes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) quotes++;
    else if ((c === 0x0a || c === 0x0d) && quotes % 2 === 0) {
      if (c === 0x0a) return '\n';
      if (i + 1 < text.length) return text.charCodeAt(i + 1) === 0x0a ? '\r\n' : '\r';
      return ended ? '\r' : null;
    }
  }
  return ended ? '\n' : null;
}

async function* splitRuns(path: string, opts: CsvRowsOptions): AsyncGenerator<CsvRun> {
  const stream = createReadStream(path, { highWaterMark: opts.highWaterMark ?? 16 * 1024 });
  const csvOpts = csvOptions(opts.maxRecordBytes);
  const tooLong = () => new MalformedCsv(line, 'CSV_MAX_RECORD_SIZE', `Max Record Size: a record longer than ${opts.maxRecordBytes} characters`);
  let delimiter: Delimiter | null = null;
  /** Bytes read past the last LF (text is decoded up to an LF: never inside a UTF-8 sequence), and before the first line end is known. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** Text decoded but not yet made records of: an unfinished record. */
  let carry = '';
  let first = true;
  let line = 1;
  let read = 0;

  /** Records of `text` up to its last complete one; the rest goes back to `carry`. At the end, the rest is one too. */
  function records(text: string, ended: boolean): CsvRow[] {
    const run: CsvRow[] = [];
    const d = delimiter as '\n' | '\r\n';
    const dl = d.length;
    let pos = 0;
    try {
      for (;;) {
        if (pos >= text.length) break;
        let end = text.indexOf(d, pos);
        if (end === -1 && !ended) break;
        if (end === -1) end = text.length;
        const plain = text.slice(pos, end);
        if (plain.indexOf(QUOTE) === -1) {
          run.push({ fields: plain.split(','), line });
          line += dl === 1 ? 1 : 1 + newlinesIn(plain);
          pos = end + dl;
          continue;
        }
        // a quoted record: up to the line end where its quotes are balanced (or the end of the file)
        let quotes = quotesIn(text, pos, end);
        while (quotes % 2 === 1 && end < text.length) {
          const next = text.indexOf(d, end + dl);
          if (next === -1 && !ended) {
            end = -1;
            break;
          }
          const to = next === -1 ? text.length : next;
          quotes += quotesIn(text, end + dl, to);
          end = to;
        }
        if (end === -1) break;
        const fields = quotedRecord(text.slice(pos, end), d, csvOpts, line);
        run.push({ fields, line });
        line += 1;
        for (const f of fields) line += newlinesIn(f);
        pos = end + dl;
      }
    } catch (e) {
      // the records before a refused one are out first (their problems come before the refusal, as when streaming)
      if (run.length > 0) throw new RecordsThen(run, e);
      throw e;
    }
    carry = pos >= text.length ? '' : text.slice(pos);
    if (carry.length > opts.maxRecordBytes) throw run.length > 0 ? new RecordsThen(run, tooLong()) : tooLong();
    return run;
  }

  /** The run of `text`, with the bytes consumed after it; a refusal after some records comes after them. */
  function* runOf(text: string, ended: boolean): Generator<CsvRun> {
    let run: CsvRow[];
    try {
      run = records(text, ended);
    } catch (e) {
      if (!(e instanceof RecordsThen)) throw e;
      yield { rows: e.run, bytes: read };
      throw e.error;
    }
    const bytes = read - pendingBytes - (carry === '' ? 0 : Buffer.byteLength(carry));
    if (run.length > 0) yield { rows: run, bytes };
  }

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (delimiter === null) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        // quotes, CR and LF are single bytes in UTF-8: latin1 finds them at their byte offsets
        delimiter = firstDelimiter(Buffer.concat(pending).toString('latin1'), false);
        if (delimiter === null) {
          if (pendingBytes > opts.maxRecordBytes) throw tooLong();
          continue;
        }
        if (delimiter === '\r') break; // old Mac line ends: csv-parse reads the file (below)
        const all = Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        yield* decoded(all);
        continue;
      }
      yield* decoded(chunk);
    }
    if (delimiter !== '\r') {
      const rest = Buffer.concat(pending);
      delimiter ??= firstDelimiter(rest.toString('latin1'), true) ?? '\n';
      if (delimiter !== '\r') {
        pending = [];
        pendingBytes = 0;
        yield* runOf(carry + textOf(rest), true);
        return;
      }
    }
  } finally {
    stream.destroy();
  }
  yield* streamRuns(path, opts);

  /** The text of the next bytes up to their last LF, the BOM off the file's first; the bytes after it wait. */
  function* decoded(chunk: Buffer): Generator<CsvRun> {
    const lf = chunk.lastIndexOf(0x0a);
    if (lf === -1) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes + carry.length > opts.maxRecordBytes) throw tooLong();
      return;
    }
    const head = pending.length === 0 ? chunk.subarray(0, lf + 1) : Buffer.concat([...pending, chunk.subarray(0, lf + 1)]);
    pending = lf + 1 < chunk.length ? [chunk.subarray(lf + 1)] : [];
    pendingBytes = chunk.length - lf - 1;
    yield* runOf(carry + textOf(head), false);
  }

  function textOf(bytes: Buffer): string {
    const text = bytes.toString('utf8');
    if (!first) return text;
    first = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

/** Records made before a refusal: they go out first, then the refusal. */
class RecordsThen {
  constructor(
    readonly run: CsvRow[],
    readonly error: unknown,
  ) {}
}

/** One record with quotes, whole (its line end excluded), through csv-parse. */
function quotedRecord(text: string, delimiter: string, options: CsvOptions, line: number): string[] {
  let recs: string[][];
  try {
    recs = parseCsvSync(text, { ...options, record_delimiter: delimiter }) as string[][];
  } catch (e) {
    if (isCsvError(e)) throw new MalformedCsv(line, e.code, withoutItsLine(e.message));
    throw e;
  }
  // balanced quotes at a line end are the record's end in any text csv-parse accepts: one record, or a bug here
  if (recs.length !== 1) throw new Error(`csv-rows: a quoted record at line ${line} parsed into ${recs.length} records`);
  return recs[0];
}

// ------------------------------------------------------------------------------------------------ csv-parse's stream

async function* streamRuns(path: string, opts: CsvRowsOptions): AsyncGenerator<CsvRun> {
  /** 1-based line on which the next record starts; advanced synchronously as the parser emits records. */
  let line = 1;
  const parser = parseCsv({ ...csvOptions(opts.maxRecordBytes), bom: true, info: false });
  // Line numbers are tracked here, as the parser pushes records, rather than while consuming: a parse error
  // discards records still buffered in the stream, and csv-parse's own `info.lines` over-counts CRLFs inside
  // quoted fields. Line breaks can only occur inside (quoted) field values, so a record spans 1 + their count.
  const push = parser.push.bind(parser);
  parser.push = (fields: unknown): boolean => {
    if (fields === null) return push(null);
    const row: CsvRow & { bytes: number } = { fields: fields as string[], line, bytes: parser.info.bytes };
    line += 1;
    for (const f of row.fields) line += newlinesIn(f);
    return push(row);
  };
  // pipeline propagates read errors (ENOENT, EACCES) into the parser and tears the source down on early exit.
  pipeline(createReadStream(path, { highWaterMark: opts.highWaterMark ?? 16 * 1024 }), parser, () => undefined);
  try {
    for await (const rows of recordRuns<CsvRow & { bytes: number }>(parser)) {
      yield { rows: rows.map(({ fields, line: l }) => ({ fields, line: l })), bytes: rows[rows.length - 1].bytes };
    }
  } catch (e) {
    if (isCsvError(e)) throw new MalformedCsv(line, e.code, withoutItsLine(e.message));
    throw e;
  } finally {
    parser.destroy();
  }
}

/**
 * The parser's records in runs (as many as it has ready, at most `max`): a million rows cost a million promise
 * turns through an async iterator one record at a time, and a few thousand this way. Ends at the parser's end;
 * its error is thrown once the records it pushed before that are out (as a for-await over it would).
 */
async function* recordRuns<T>(stream: Readable, max = 1024): AsyncGenerator<T[]> {
  let wake: (() => void) | null = null;
  let ended = false;
  let failure: { error: unknown } | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  stream.on('readable', notify);
  stream.once('end', () => ((ended = true), notify()));
  stream.once('error', (error: unknown) => ((failure = { error }), notify()));
  for (;;) {
    const run: T[] = [];
    for (let r: T | null; run.length < max && (r = stream.read() as T | null) !== null; ) run.push(r);
    if (run.length > 0) {
      yield run;
      continue;
    }
    if (failure !== null) throw (failure as { error: unknown }).error;
    if (ended) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}
