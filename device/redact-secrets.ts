/**
 * Removes secrets from what leaves the kiosk for the help desk (`kiosk support-bundle`), three ways at once:
 * - by field name: any string under a key that names a secret (terminalPassword, password, secret, token, the
 *   attendant pins' / badges' `hash`, salt, private key …) becomes "[redacted]";
 * - by pattern, in every string and log line: credentials in a URL (`mqtts://user:pass@host`), scrypt hashes,
 *   PEM private key blocks;
 * - by value: the secrets this kiosk actually holds (the broker password file, client key) are replaced wherever
 *   they appear, whatever field or line carries them.
 */

export const REDACTED = '[redacted]';

/** Field names whose string values are secrets (matched case-insensitively against the whole key). */
const SECRET_KEY = /^(.*pass(word|wd|phrase)?|.*secret.*|.*token|pins?|hash|.*salt|.*private.*key.*|api[-_]?key|credentials?|auth(orization)?)$/i;

const PATTERNS: [RegExp, string][] = [
  // userinfo in a URL: keep the scheme and user, drop the password
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]*)@/gi, `$1$2:${REDACTED}@`],
  [/scrypt\$[A-Za-z0-9+/=$.]+/g, REDACTED],
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g, REDACTED],
];

export class Redactor {
  private readonly literals: string[];
  constructor(secrets: string[] = []) {
    // longest first, so a secret containing another is replaced whole; very short values would redact noise
    this.literals = [...new Set(secrets.map((s) => s.trim()).filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  }

  text(s: string): string {
    let out = s;
    for (const lit of this.literals) out = out.split(lit).join(REDACTED);
    for (const [re, to] of PATTERNS) out = out.replace(re, to);
    return out;
  }

  value(v: unknown, key = ''): unknown {
    if (typeof v === 'string') return SECRET_KEY.test(key) ? REDACTED : this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.value(x, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x, k)]));
    return v;
  }
}
