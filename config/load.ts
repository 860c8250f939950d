import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateBarcodeRules, type BarcodeRules } from './barcode-rules';
import { ConfigError } from '../kernel/errors';
import { defaultConfig } from './defaults';
import { formatIssues } from './fields';
import { configSchema, type KioskConfig } from './schema';
import type { z } from 'zod';
import { clip, joinPath } from '../kernel/json/bounded-format';
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
const RESERVED_ENV = new Set(['KIOSK_CONFIG', 'KIOSK_LOG_LEVEL', 'KIOSK_LOG_FORMAT', 'KIOSK_TRACE', 'KIOSK_FAILPOINT']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * `o[k] = v` as an own property, also for `__proto__`: JSON.parse makes `{"__proto__": …}` an own key, but an
 * assignment would set the object's prototype instead — the key would vanish and never be refused as unknown.
 */
function setOwn(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Deep merge: objects merge key by key, everything else (arrays included) replaces. Only own keys count. */
export function merge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) setOwn(out, k, merge(hasOwn(base, k) ? base[k] : undefined, v));
  return out;
}

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** One `KIOSK_*` variable: the config path it sets and its value. */
interface EnvSetting {
  name: string;
  keys: string[];
  value: unknown;
}

function envSettings(env: NodeJS.ProcessEnv): EnvSetting[] {
  const out: EnvSetting[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('KIOSK_') || RESERVED_ENV.has(name) || raw === undefined) continue;
    const keys = name.slice('KIOSK_'.length).split('__').map(camel);
    let value: unknown = raw;
    try {
      value = boundedJsonParse(raw, { maxBytes: JSON_LIMITS.configFile });
    } catch {
      /* not JSON: keep the string */
    }
    out.push({ name, keys, value });
  }
  return out;
}

function overridesOf(settings: readonly EnvSetting[]): Obj {
  const out: Obj = {};
  for (const { keys, value } of settings) {
    let node = out;
    keys.slice(0, -1).forEach((k) => {
      if (!isObj(node[k]) || !hasOwn(node, k)) setOwn(node, k, {});
      node = node[k] as Obj;
    });
    setOwn(node, keys[keys.length - 1], value);
  }
  return out;
}

export function envOverrides(env: NodeJS.ProcessEnv): Obj {
  return overridesOf(envSettings(env));
}

/** Whether `value` itself holds `rest` (own keys all the way down). */
function holds(value: unknown, rest: readonly PropertyKey[]): boolean {
  let v = value;
  for (const k of rest) {
    if (v === null || typeof v !== 'object' || !hasOwn(v, String(k))) return false;
    v = (v as Obj)[String(k)];
  }
  return true;
}

/** The variable that set the value at `path`, if one did (and `--data`-style overrides did not set it after). */
function envOrigin(path: readonly PropertyKey[], settings: readonly EnvSetting[], overrides: Obj | undefined): EnvSetting | undefined {
  if (overrides && holds(overrides, path)) return undefined;
  let best: EnvSetting | undefined;
  for (const s of settings) {
    if (s.keys.length > path.length || !s.keys.every((k, i) => String(path[i]) === k)) continue;
    if (holds(s.value, path.slice(s.keys.length)) && (!best || s.keys.length > best.keys.length)) best = s;
  }
  return best;
}

const MAX_ENV_PROBLEMS = 20;

/**
 * The problems, those of a value set by a KIOSK_* variable naming the variable — `KIOSK_FOO: unknown setting`,
 * `KIOSK_TAX__RATE: tax.rate: expected number …` — since that is what the technician typed, not a config path.
 */
function describeIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, settings: readonly EnvSetting[], overrides: Obj | undefined): string[] {
  const fromEnv: string[] = [];
  const rest: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const other: string[] = [];
      for (const key of issue.keys) {
        const at = [...issue.path, key];
        const origin = envOrigin(at, settings, overrides);
        if (!origin) other.push(key);
        else if (origin.keys.length === at.length) {
          fromEnv.push(`${origin.name}: unknown setting (it would set "${joinPath(at)}", which is no config field; KIOSK_A__B_C sets a.bC)`);
        } else fromEnv.push(`${origin.name}: ${joinPath(at)}: unknown field`);
      }
      if (other.length) rest.push({ ...issue, keys: other });
      continue;
    }
    const origin = envOrigin(issue.path, settings, overrides);
    if (origin) fromEnv.push(...formatIssues([issue], raw).map((line) => `${origin.name}: ${line}`));
    else rest.push(issue);
  }
  const envLines = fromEnv.length > MAX_ENV_PROBLEMS ? [...fromEnv.slice(0, MAX_ENV_PROBLEMS), `… and ${fromEnv.length - MAX_ENV_PROBLEMS} more from the environment`] : fromEnv;
  return [...envLines, ...(rest.length ? formatIssues(rest, raw) : [])];
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    // a UTF-8 byte order mark (Windows editors write one) is not part of the JSON
    text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
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
  if (opts.configPath !== undefined && opts.configPath.trim() === '') throw new ConfigError(['--config: expected a file path, got an empty string']);
  // an empty KIOSK_CONFIG is as good as unset (the shell's `KIOSK_CONFIG= kiosk …`)
  const configPath = opts.configPath ?? (env.KIOSK_CONFIG || undefined);
  let raw: unknown = defaultConfig();
  if (configPath) raw = merge(raw, readConfigFile(configPath));
  const settings = envSettings(env);
  raw = merge(raw, overridesOf(settings));
  if (opts.overrides) raw = merge(raw, opts.overrides);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, raw, settings, opts.overrides));
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
