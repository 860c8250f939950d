import type { Scope } from '../signed-envelope';
import { assertTopicId, isValidId, levelsUnderRoot, underRoot } from '../topics';

/**
 * MQTT topics for signed configuration and commands (root and id rules: ../topics.ts):
 * - `kiosk/v1/_fleet/config`, `kiosk/v1/{store}/_all/config`, `kiosk/v1/{store}/{device}/config` (retained, QoS 1)
 * - `kiosk/v1/{store}/{device}/cmd` (QoS 1, not retained) and `kiosk/v1/{store}/{device}/cmd/result`
 * - `kiosk/v1/{store}/{device}/config/reported`
 *
 * Levels starting with `_` (`_fleet`, `_all`) are reserved: a store or device id here must not start with one.
 */

/** A store or device id usable in these topics: a valid topic id not starting with the reserved `_`. */
const isScopeId = (id: string): boolean => isValidId(id) && !id.startsWith('_');

function scopeId(kind: 'store' | 'device', id: string): string {
  assertTopicId(kind, id);
  if (id.startsWith('_')) throw new TypeError(`invalid ${kind} id for an MQTT topic: ${JSON.stringify(id)} (a level starting with _ is reserved)`);
  return id;
}

/** The topic a config bundle for `scope` is published on. Throws TypeError on an invalid id. */
export function configTopic(scope: Scope): string {
  if (scope.kind === 'fleet') return underRoot('_fleet', 'config');
  if (scope.kind === 'store') return underRoot(scopeId('store', scope.store), '_all', 'config');
  return underRoot(scopeId('store', scope.store), scopeId('device', scope.device), 'config');
}

/** The scope a config topic addresses, or null when `topic` is not a config topic. */
export function scopeOfConfigTopic(topic: string): Scope | null {
  const parts = levelsUnderRoot(topic);
  if (!parts || parts.length < 2 || parts[parts.length - 1] !== 'config') return null;
  if (parts.length === 2 && parts[0] === '_fleet') return { kind: 'fleet' };
  if (parts.length !== 3 || !isScopeId(parts[0])) return null;
  if (parts[1] === '_all') return { kind: 'store', store: parts[0] };
  if (!isScopeId(parts[1])) return null;
  return { kind: 'device', store: parts[0], device: parts[1] };
}

const deviceLevels = (store: string, device: string): [string, string] => [scopeId('store', store), scopeId('device', device)];

export const commandTopic = (store: string, device: string): string => underRoot(...deviceLevels(store, device), 'cmd');
export const commandResultTopic = (store: string, device: string): string => underRoot(...deviceLevels(store, device), 'cmd', 'result');
export const configReportedTopic = (store: string, device: string): string => underRoot(...deviceLevels(store, device), 'config', 'reported');

/** The three config topics one device subscribes to. */
export function configTopicsFor(store: string, device: string): string[] {
  return [configTopic({ kind: 'fleet' }), configTopic({ kind: 'store', store }), configTopic({ kind: 'device', store, device })];
}

export const sameScope = (a: Scope, b: Scope): boolean =>
  a.kind === b.kind &&
  (a.kind === 'fleet' || (a.store === (b as { store: string }).store && (a.kind === 'store' || a.device === (b as { device: string }).device)));
