/**
 * Reading a password (or another secret) the way every CLI here takes one: from stdin or a file, never from argv.
 */

/** stdin up to `maxBytes` (64 KiB by default); what comes beyond is not read. */
export async function readStdinBounded(maxBytes = 64 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > maxBytes) break;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A password as given on stdin or in a file: one trailing line break removed (echo and editors add one), nothing else. */
export const passwordText = (raw: Buffer | string): string => raw.toString('utf8').replace(/\r?\n$/, '');
