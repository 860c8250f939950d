import { checkBundleBody } from '../../config/bundle-validation';
import { canonicalJson } from '../../kernel/canonical-json';
import { defaultConfig } from '../../config/defaults';
import { forbiddenBundleField } from '../../protocol/control/config-bundle';
import { parsePublicKeyPem } from '../../protocol/signed-envelope';
import { sealedSectionProblem } from '../../protocol/sealed/channel-section';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The bodies in force around a scope: less specific levels (`before`, fleet first) and more specific ones (`after`). */
export interface BundleLayers {
  before?: readonly Obj[];
  after?: readonly Obj[];
}

/**
 * The `trust` section's shape, as the kiosk checks it (runtime/trust/trust-store.ts `trustChangeSchema` and
 * `checkChange`): `{add?: [Ed25519 PEM…], remove?: [keyId…]}`. Whether a removal would leave a kiosk with no key
 * only the kiosk knows.
 */
function trustProblem(value: unknown): string | null {
  if (!isObj(value)) return 'trust: expected an object with add and/or remove';
  for (const k of Object.keys(value)) if (k !== 'add' && k !== 'remove') return `trust.${k}: unknown field`;
  if (value.add !== undefined) {
    if (!Array.isArray(value.add)) return 'trust.add: expected a list of PEM public keys';
    for (const [i, pem] of value.add.entries()) {
      if (typeof pem !== 'string') return `trust.add.${i}: expected a PEM public key`;
      try {
        parsePublicKeyPem(pem);
      } catch (e) {
        return `trust.add.${i}: expected an Ed25519 public key (PEM), ${(e as Error).message}`;
      }
    }
  }
  if (value.remove !== undefined) {
    if (!Array.isArray(value.remove)) return 'trust.remove: expected a list of keyIds';
    for (const [i, id] of value.remove.entries()) if (typeof id !== 'string' || !/^[0-9a-f]{16}$/.test(id)) return `trust.remove.${i}: expected a keyId (16 hex digits)`;
  }
  return null;
}

/**
 * What a kiosk would refuse this bundle body for (`invalid_body`), one line per problem — empty when it would accept
 * it. The check is the kiosk's own (config/bundle-validation.ts with the kiosk's zod schema) on a kiosk with the
 * default local config and `layers` in force at the other levels. It checks the body as the kiosk will receive it:
 * signed, that is canonical JSON (keys sorted), so the problems read the same, word for word.
 */
export function bundleProblems(body: unknown, layers: BundleLayers = {}): string[] {
  let wire: unknown;
  try {
    wire = JSON.parse(canonicalJson(body));
  } catch (e) {
    return [`(root): not JSON (${(e as Error).message})`];
  }
  const result = checkBundleBody(wire, {
    base: defaultConfig(),
    before: layers.before ?? [],
    after: layers.after ?? [],
    forbidden: forbiddenBundleField,
    trust: trustProblem,
    // the payment channels' secrets sealed to one kiosk (hq/channels/deliver.ts): its shape; only that kiosk opens it
    sealed: sealedSectionProblem,
  });
  return result.ok ? [] : result.problems;
}

/** The problems of `problems` about the field at `path` (`tax.rate`) or inside it. */
export function problemsAt(problems: readonly string[], path: string): string[] {
  return problems.filter((p) => p.startsWith(`${path}:`) || p.startsWith(`${path}.`));
}
