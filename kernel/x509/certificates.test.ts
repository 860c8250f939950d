import { X509Certificate, createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCa, issueCertificate } from './certificates';

describe('loopback certificates', () => {
  const ca = createCa({ commonName: 'Test CA' });
  const server = issueCertificate(ca, 'server', { commonName: 'localhost', ips: ['127.0.0.1'], dns: ['localhost'] });
  const client = issueCertificate(ca, 'client', { commonName: 'merchant 10000100' });

  it('issues certificates that verify against the CA, for their use', () => {
    const caCert = new X509Certificate(ca.certPem);
    const s = new X509Certificate(server.certPem);
    expect(caCert.ca).toBe(true);
    expect(s.ca).toBe(false);
    expect(s.verify(caCert.publicKey)).toBe(true);
    expect(s.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(s.checkIP('10.0.0.1')).toBeUndefined();
    expect(s.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(new X509Certificate(client.certPem).keyUsage).toContain('1.3.6.1.5.5.7.3.2');
    // a CA of its own does not vouch for them
    expect(s.verify(new X509Certificate(createCa({ commonName: 'Other CA' }).certPem).publicKey)).toBe(false);
  });

  it('certifies an existing public key without ever seeing its private key', () => {
    const own = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = issueCertificate(ca, 'signing', { commonName: 'signer', publicPem: own.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    expect(cert.keyPem).toBe('');
    const sig = createSign('RSA-SHA256').update('x').sign(own.privateKey);
    expect(createVerify('RSA-SHA256').update('x').verify(new X509Certificate(cert.certPem).publicKey, sig)).toBe(true);
  });

  it('serves mutual TLS on loopback: a client with a certificate from the CA gets in, one without does not', async () => {
    const srv = https.createServer({ key: server.keyPem, cert: server.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (_q, r) => r.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const get = (o: https.RequestOptions) =>
      new Promise<string>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port, path: '/', ca: ca.certPem, ...o }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve(b));
        }).on('error', reject);
      });
    try {
      await expect(get({ key: client.keyPem, cert: client.certPem })).resolves.toBe('ok');
      await expect(get({})).rejects.toThrow();
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});
