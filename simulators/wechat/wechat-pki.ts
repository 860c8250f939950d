/**
 * The certificates of a simulated WeChat Pay: a CA that issues the server certificate (127.0.0.1), and a merchant
 * CA that issues the merchant's API client certificate (apiclient_cert.pem) which `/secapi/*` demands in the TLS
 * handshake. Made with kernel/x509.
 */
import { createCa, issueCertificate, type KeyAndCert } from '../../kernel/x509/certificates';

export interface WechatPki {
  /** CA the kiosk trusts for the server certificate. */
  ca: KeyAndCert;
  server: KeyAndCert;
  /** CA the simulator trusts for client certificates. */
  merchantCa: KeyAndCert;
  /** The merchant's client certificate + key, issued to the mch_id. */
  client: KeyAndCert;
}

export function createWechatPki(mchId: string): WechatPki {
  const ca = createCa({ commonName: 'WeChat Pay Simulator Root CA', subject: { organizationName: 'kiosk simulators' } });
  const server = issueCertificate(ca, 'server', { commonName: '127.0.0.1', ips: ['127.0.0.1'], dns: ['localhost'] });
  const merchantCa = createCa({ commonName: 'WeChat Pay Simulator Merchant CA' });
  const client = issueCertificate(merchantCa, 'client', { commonName: mchId, subject: { organizationalUnitName: 'WeChat Pay merchant' } });
  return { ca, server, merchantCa, client };
}
