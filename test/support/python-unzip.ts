/**
 * An independent ZIP reader for tests: Python's zipfile (testzip checks every entry's CRC), names without the UTF-8
 * flag read as GBK (zipfile decodes them as cp437; re-encoded to the raw bytes, then GBK), as a Chinese back office
 * unpacks a channel's bill download.
 */
import { spawnSync } from 'node:child_process';

const SCRIPT = `
import base64, io, json, sys, zipfile
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
bad = z.testzip()
if bad is not None:
    sys.exit("bad CRC: " + bad)
out = []
for i in z.infolist():
    name = i.filename if i.flag_bits & 0x800 else i.filename.encode("cp437").decode("gbk")
    out.append({"name": name, "data": base64.b64encode(z.read(i)).decode()})
print(json.dumps(out))
`;

export function pythonUnzip(zip: Buffer): { name: string; data: Buffer }[] {
  const r = spawnSync('python3', ['-c', SCRIPT], { input: zip, encoding: 'buffer' });
  if (r.status !== 0) throw new Error(`python3 zipfile: ${r.stderr.toString('utf8')}`);
  return (JSON.parse(r.stdout.toString('utf8')) as { name: string; data: string }[]).map((e) => ({ name: e.name, data: Buffer.from(e.data, 'base64') }));
}
