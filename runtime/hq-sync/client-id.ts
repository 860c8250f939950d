import { X509Certificate } from 'node:crypto';

/**
 * The kiosk's MQTT client id: exactly what the shipped broker makes of it (deploy/mosquitto/mosquitto.conf,
 * `use_username_as_clientid`), so its persistent session is found again and no other login can take it over —
 * the broker username (`STORE/DEVICE`), or with a client certificate the certificate's CN
 * (`use_identity_as_username`), or `STORE/DEVICE` when the kiosk logs in without credentials.
 */
export function kioskClientId(store: string, device: string, credentials: { username?: string; cert?: Buffer } = {}): string {
  if (credentials.username) return credentials.username;
  const cn = credentials.cert ? commonName(credentials.cert) : null;
  return cn ?? `${store}/${device}`;
}

/** The subject CN of a PEM or DER certificate, or null when it has none or cannot be read. */
function commonName(cert: Buffer): string | null {
  try {
    const subject = new X509Certificate(cert).subject;
    const cn = subject.split('\n').find((l) => l.startsWith('CN='));
    return cn ? cn.slice(3) : null;
  } catch {
    return null;
  }
}
