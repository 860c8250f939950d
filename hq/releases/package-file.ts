import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { MAX_PACKAGE_BYTES } from '../../protocol/releases/release-offer';
import { tryParseJson } from '../../kernel/json/bounded-json';

/**
 * Reads a release package (`npm pack` output: a gzip tar whose files are under `package/`) without unpacking it:
 * streamed once through node:zlib and node-tar's parser, with SHA-256 and size of the file computed on the way.
 * Bounded: the file by {@link MAX_PACKAGE_BYTES} (what a kiosk accepts), the unpacked bytes by
 * {@link MAX_UNPACKED_BYTES} (a gzip bomb stops there), `package/package.json` by {@link MAX_PACKAGE_JSON_BYTES}.
 * A truncated or corrupt gzip, a tar that ends mid-entry, or an archive without `package/package.json` is refused.
 */

export const MAX_UNPACKED_BYTES = 4 * MAX_PACKAGE_BYTES;
export const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;

export interface PackageFacts {
  sha256: string;
  size: number;
  /** `name` and `version` of package/package.json. */
  name: string;
  version: string;
  /** Entries in the archive. */
  entries: number;
}

export class PackageProblem extends Error {}

export async function inspectPackage(file: string): Promise<PackageFacts> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new PackageProblem(`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!st.isFile()) throw new PackageProblem(`${file}: not a file`);
  if (st.size === 0) throw new PackageProblem(`${file}: empty`);
  if (st.size > MAX_PACKAGE_BYTES) throw new PackageProblem(`${file}: ${st.size} bytes, more than a kiosk accepts (${MAX_PACKAGE_BYTES})`);
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) throw new PackageProblem(`${file}: not gzip (an npm pack .tgz is)`);

  const hash = createHash('sha256');
  let size = 0;
  let unpacked = 0;
  let inflated = 0;
  let entries = 0;
  let pkgJson: Buffer | null = null;
  let problem: string | null = null;
  let ended = false;
  let parserError: Error | null = null;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      entries++;
      unpacked += entry.size ?? 0;
      if (unpacked > MAX_UNPACKED_BYTES) problem ??= `more than ${MAX_UNPACKED_BYTES} bytes unpacked`;
      const name = entry.path.replace(/^\.\//, '');
      if (name === 'package/package.json' && entry.type === 'File' && (entry.size ?? 0) <= MAX_PACKAGE_JSON_BYTES) {
        const parts: Buffer[] = [];
        entry.on('data', (c: Buffer) => parts.push(c));
        entry.on('end', () => (pkgJson = Buffer.concat(parts)));
      } else {
        if (name === 'package/package.json') problem ??= `package/package.json is larger than ${MAX_PACKAGE_JSON_BYTES} bytes`;
        entry.resume();
      }
    },
  });
  parser.on('end', () => (ended = true));
  parser.on('error', (e: Error) => (parserError ??= e));
  try {
    await pipeline(
      fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
      new Transform({
        // the compressed bytes: hashed and counted as they are read
        transform(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          hash.update(chunk);
          cb(null, chunk);
        },
      }),
      createGunzip(),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          // the gunzipped bytes themselves are counted (a tar header may lie about its sizes)
          inflated += chunk.length;
          if (inflated > MAX_UNPACKED_BYTES) problem ??= `more than ${MAX_UNPACKED_BYTES} bytes unpacked`;
          if (problem) return cb(new PackageProblem(problem));
          if (parserError) return cb(parserError);
          if (parser.write(chunk)) cb();
          else parser.once('drain', () => cb());
        },
        final(cb) {
          parser.end(() => cb());
        },
      }),
    );
  } catch (e) {
    throw new PackageProblem(`${file}: ${e instanceof PackageProblem ? e.message : `not a readable gzip tar (${(e as Error).message})`}`);
  }
  if (parserError) throw new PackageProblem(`${file}: not a readable tar (${(parserError as Error).message})`);
  if (problem) throw new PackageProblem(`${file}: ${problem}`);
  if (!ended) throw new PackageProblem(`${file}: the tar ends early`);
  if (!pkgJson) throw new PackageProblem(`${file}: no package/package.json (not an npm pack archive)`);
  const parsed = tryParseJson((pkgJson as Buffer).toString('utf8'), { maxBytes: MAX_PACKAGE_JSON_BYTES });
  const json = parsed.ok ? (parsed.value as Record<string, unknown> | null) : null;
  if (!json || typeof json !== 'object' || typeof json.name !== 'string' || typeof json.version !== 'string') throw new PackageProblem(`${file}: package/package.json has no name and version`);
  return { sha256: hash.digest('hex'), size, name: json.name, version: json.version, entries };
}
