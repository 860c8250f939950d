import { kioskClientId } from './client-id';

/** A self-signed client certificate, subject `O=Shop, CN=s9/lane-7` (made with `openssl req -x509 -newkey ec …`). */
const CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUDRsJ0cpOLtgnu0L+TcevXrccMv8wCgYIKoZIzj0EAwIw
IzENMAsGA1UECgwEU2hvcDESMBAGA1UEAwwJczkvbGFuZS03MB4XDTI2MTIwNjA3
NTExOVoXDTM2MTIwMzA3NTExOVowIzENMAsGA1UECgwEU2hvcDESMBAGA1UEAwwJ
czkvbGFuZS03MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnaCkgCciylZRg0BO
TU+OYp1XEKnYb6S890IlKnnIc71fcqugeKsCyqsvR42P4wsSOh0hDU+Dt49awzEt
Vv4riaNTMFEwHQYDVR0OBBYEFPQdf9IE8zcG5ARdty3zbGb+FMXrMB8GA1UdIwQY
MBaAFPQdf9IE8zcG5ARdty3zbGb+FMXrMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZI
zj0EAwIDSAAwRQIhAPBmgfNKDywZnGtgCGjbuLbjFVFSn5PgJRTD+3Ivkx3EAiBL
beoLxdPjdMD9JcfhH38n6Tn9g5phxKHQysGRVfQOvw==
-----END CERTIFICATE-----
`;

describe('kioskClientId: what the shipped broker makes the client id (use_username_as_clientid)', () => {
  it('is the broker username when the kiosk logs in with one', () => {
    expect(kioskClientId('s1', 'lane-1', { username: 's1/lane-1' })).toBe('s1/lane-1');
  });

  it('is STORE/DEVICE without credentials', () => {
    expect(kioskClientId('s1', 'lane-1')).toBe('s1/lane-1');
  });

  it("is the client certificate's CN (use_identity_as_username), STORE/DEVICE when the certificate cannot be read", () => {
    expect(kioskClientId('s1', 'lane-1', { cert: Buffer.from(CERT) })).toBe('s9/lane-7');
    expect(kioskClientId('s1', 'lane-1', { cert: Buffer.from('not a certificate') })).toBe('s1/lane-1');
  });
});
