import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { brokerCredentials, readIdentity, writeIdentity, type Identity } from './identity';

describe('identity.json', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-id-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const identity: Identity = {
    v: 1,
    store: 's1',
    device: 'd1',
    broker: { url: 'mqtts://hq.example:8883', auth: { kind: 'cert', certFile: 'secrets/client.crt', keyFile: 'secrets/client.key', caFile: 'secrets/ca.crt' } },
    provisionedAt: '2026-01-01T09:00:00.000Z',
  };

  it('is null before provisioning and round-trips after', () => {
    expect(readIdentity(dir)).toBeNull();
    writeIdentity(dir, identity);
    expect(readIdentity(dir)).toEqual(identity);
  });

  it('names the problem in a damaged file', () => {
    fs.writeFileSync(path.join(dir, 'identity.json'), '{"v":1,');
    expect(() => readIdentity(dir)).toThrow(expect.objectContaining({ code: 'IDENTITY_INVALID', message: expect.stringContaining('not valid JSON') }));
    fs.writeFileSync(path.join(dir, 'identity.json'), JSON.stringify({ ...identity, store: 'bad store' }));
    expect(() => readIdentity(dir)).toThrow(expect.objectContaining({ code: 'IDENTITY_INVALID', message: expect.stringContaining('store: expected an id') }));
  });

  it('reads the client certificate files for the broker connection', () => {
    fs.mkdirSync(path.join(dir, 'secrets'));
    for (const f of ['client.crt', 'client.key', 'ca.crt']) fs.writeFileSync(path.join(dir, 'secrets', f), f);
    expect(brokerCredentials(dir, identity.broker.auth)).toEqual({ cert: Buffer.from('client.crt'), key: Buffer.from('client.key'), ca: Buffer.from('ca.crt') });
    expect(brokerCredentials(dir, { kind: 'none' })).toEqual({});
  });
});
