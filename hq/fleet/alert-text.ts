import { tryParseJson } from '../../kernel/json/bounded-json';
import { formatTime } from '../console/format';
import type { AlertParam, AlertText, Lang, Translate } from '../console/types';

/**
 * An alert's translatable text ({@link AlertText}): bounded before it is stored (column `alerts.text_json`, schema
 * v9), checked again when read back (a row is data: a wrong shape reads as "no text"), and rendered in the reader's
 * language. Anything that cannot be rendered completely — no text, a key the catalogue lacks, a placeholder without
 * its param — renders as null, and the page shows the stored English message instead.
 */

/** The stored JSON's largest size (characters); a bigger text is not stored (the message still is). */
export const MAX_ALERT_TEXT_JSON = 4000;
const MAX_PARAMS = 16;
const MAX_LIST = 16;
const MAX_STRING = 300;
/** Texts nest in `{ texts }` params at most this deep (a refusal inside a list, its level name inside it). */
const MAX_LEVEL = 2;

const KEY = /^[a-z][A-Za-z0-9_.-]{0,99}$/;
const NAME = /^[A-Za-z0-9_]{1,40}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function boundParam(v: unknown, level: number): AlertParam | null {
  if (typeof v === 'string') return v.slice(0, MAX_STRING);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (!isObject(v)) return null;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'time') return typeof v.time === 'number' && Number.isFinite(v.time) ? { time: v.time } : null;
  if (keys.length === 1 && keys[0] === 'texts' && Array.isArray(v.texts) && level < MAX_LEVEL && v.texts.length <= MAX_LIST) {
    const texts = v.texts.map((t) => boundText(t, level + 1));
    return texts.every((t): t is AlertText => t !== null) ? { texts } : null;
  }
  return null;
}

function boundText(v: unknown, level: number): AlertText | null {
  if (!isObject(v) || typeof v.key !== 'string' || !KEY.test(v.key)) return null;
  if (v.params === undefined) return { key: v.key };
  if (!isObject(v.params)) return null;
  const entries = Object.entries(v.params);
  if (entries.length > MAX_PARAMS) return null;
  const params: Record<string, AlertParam> = {};
  for (const [name, value] of entries) {
    const p = NAME.test(name) ? boundParam(value, level) : null;
    if (p === null) return null;
    params[name] = p;
  }
  return { key: v.key, params };
}

/** The text in its bounded shape (long strings cut), or null when it is not a valid alert text. */
export const boundAlertText = (v: unknown): AlertText | null => boundText(v, 0);

/** The JSON stored for an alert's text: null without one, when it is not valid, or when it is too large. */
export function encodeAlertText(text: AlertText | undefined): string | null {
  const bounded = text === undefined ? null : boundAlertText(text);
  if (!bounded) return null;
  const json = JSON.stringify(bounded);
  return json.length <= MAX_ALERT_TEXT_JSON ? json : null;
}

/** A stored text read back: null for none, or for anything that is not a bounded alert text. */
export function decodeAlertText(json: string | null | undefined): AlertText | null {
  if (typeof json !== 'string' || json.length > MAX_ALERT_TEXT_JSON) return null;
  // three levels of texts nest at most 11 deep (text, params, param, list, text, …)
  const parsed = tryParseJson(json, { maxBytes: MAX_ALERT_TEXT_JSON * 4, maxDepth: 12 });
  return parsed.ok ? boundAlertText(parsed.value) : null;
}

const LIST_SEPARATOR: Record<Lang, string> = { en: '; ', 'zh-CN': '；' };

/** How a page renders: the translator of the reader's language, that language, and the chain's zone. */
export interface AlertTextReader {
  t: Translate;
  lang: Lang;
  timeZone: string;
}

/** The text in the reader's language, or null when any key is unknown to the catalogue or a placeholder lacks its param. */
export function renderAlertText(text: AlertText, r: AlertTextReader): string | null {
  const template = r.t(text.key);
  if (template === text.key) return null; // not in the catalogue
  const vars: Record<string, string | number> = {};
  for (const [name, p] of Object.entries(text.params ?? {})) {
    if (typeof p === 'string' || typeof p === 'number') vars[name] = p;
    else if ('time' in p) vars[name] = formatTime(p.time, r.timeZone, r.lang);
    else {
      const parts = p.texts.map((t) => renderAlertText(t, r));
      if (parts.some((x) => x === null)) return null;
      vars[name] = parts.join(LIST_SEPARATOR[r.lang]);
    }
  }
  for (const m of template.matchAll(/\{(\w+)\}/g)) if (!Object.prototype.hasOwnProperty.call(vars, m[1])) return null;
  // one pass over the template: a param's value is never read as a placeholder
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => String(vars[name]));
}

/** What a page shows for an alert: its text in the reader's language, else the stored (English) message. */
export function alertWords(a: { message: string; text: AlertText | null }, r: AlertTextReader): string {
  return (a.text && renderAlertText(a.text, r)) ?? a.message;
}

/** A nested text param: one message key (e.g. a level or channel name) rendered in the reader's language. */
export const keyParam = (key: string, params?: Record<string, AlertParam>): { texts: AlertText[] } => ({ texts: [params ? { key, params } : { key }] });
