import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateBarcodeRules, type BarcodeRules } from './barcode-rules';
import { ConfigError } from '../kernel/errors';
import { defaultConfig } from './defaults';
import { formatIssues } from './fields';
import { configSchema, type KioskConfig } from './schema';
import { clip } from '../kernel/json/bounded-format';
import { boundedJsonParse, JsonLimitError } from '../kernel/json/bounded-json';
import { JSON_LIMITS } from '../kernel/json/limits';

export interface LoadOptions {
  /** JSON file overriding the defaults (`--config PATH` or KIOSK_CONFIG). */
  configPath?: string;
  /** Environment; `KIOSK_A__B_C=v` sets `a.bC`. JSON values are parsed, anything else is a string. */
  env?: NodeJS.ProcessEnv;
  /** Highest precedence, e.g. `--data DIR`. */
  overrides?: Record<string, unknown>;
}

/** Variables with a meaning of their own, not config paths. */
const RESERVED_ENV = new Set(['KIOSK_CONFIG', 'KIOSK_LOG_LEVEL', 'KIOSK_TRACE', 'KIOSK_FAILPOINT']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep merge: objects merge key by key, everything else (arrays included) replaces. */
export function merge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function envOverrides(env: NodeJS.ProcessEnv): Obj {
  const out: Obj = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('KIOSK_') || RESERVED_ENV.has(name) || raw === undefined) continue;
    const keys = name.slice('KIOSK_'.length).split('__').map(camel);
    let value: unknown = raw;
    try {
      value = boundedJsonParse(raw, { maxBytes: JSON_LIMITS.configFile });
    } catch {
      /* not JSON: keep the string */
    }
    let node = out;
    keys.slice(0, -1).forEach((k) => {
      if (!isObj(node[k])) node[k] = {};
      node = node[k] as Obj;
    });
    node[keys[keys.length - 1]] = value;
  }
  return out;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${file}: cannot read config file (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
  }
  try {
    return boundedJsonParse(text, { maxBytes: JSON_LIMITS.configFile });
  } catch (e) {
    throw new ConfigError([`${file}: ${e instanceof JsonLimitError ? e.message : `not valid JSON (${clip((e as Error).message, 160)})`}`]);
  }
}

/** Defaults ← config file ← KIOSK_* environment ← overrides, validated. Throws ConfigError naming each bad field. */
export function loadConfig(opts: LoadOptions = {}): KioskConfig {
  const env = opts.env ?? process.env;
  const configPath = opts.configPath ?? env.KIOSK_CONFIG;
  let raw: unknown = defaultConfig();
  if (configPath) raw = merge(raw, readConfigFile(configPath));
  raw = merge(raw, envOverrides(env));
  if (opts.overrides) raw = merge(raw, opts.overrides);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues, raw));
  const config = parsed.data;
  const problems = validateBarcodeRules(barcodeRules(config)).map((p) => `barcodes.${p}`);
  if (problems.length) throw new ConfigError(problems);
  return { ...config, dataDir: path.resolve(config.dataDir) };
}

/** The barcode reader's rules from the config. */
export function barcodeRules(config: KioskConfig): BarcodeRules {
  return { currency: { ...config.currency }, ...config.barcodes };
}

/** Rate per tax class id, `standard` included. */
export function taxRates(config: KioskConfig): Record<string, number> {
  return { ...config.tax.classes, standard: config.tax.rate };
}
