import type { Scope } from '../signed-envelope';

/**
 * MQTT topics for signed configuration and commands:
 * - `kiosk/v1/_fleet/config`, `kiosk/v1/{store}/_all/config`, `kiosk/v1/{store}/{device}/config` (retained, QoS 1)
 * - `kiosk/v1/{store}/{device}/cmd` (QoS 1, not retained) and `kiosk/v1/{store}/{device}/cmd/result`
 * - `kiosk/v1/{store}/{device}/config/reported`
 */
export const TOPIC_ROOT = 'kiosk/v1';

/** The topic a config bundle for `scope` is published on. */
export function configTopic(scope: Scope): string {
  if (scope.kind === 'fleet') return `${TOPIC_ROOT}/_fleet/config`;
  if (scope.kind === 'store') return `${TOPIC_ROOT}/${scope.store}/_all/config`;
  return `${TOPIC_ROOT}/${scope.store}/${scope.device}/config`;
}

/** The scope a config topic addresses, or null when `topic` is not a config topic. */
export function scopeOfConfigTopic(topic: string): Scope | null {
  const parts = topic.split('/');
  if (parts.length < 4 || parts[0] !== 'kiosk' || parts[1] !== 'v1' || parts[parts.length - 1] !== 'config') return null;
  if (parts.length === 4 && parts[2] === '_fleet') return { kind: 'fleet' };
  if (parts.length !== 5 || parts[2].startsWith('_')) return null;
  if (parts[3] === '_all') return { kind: 'store', store: parts[2] };
  if (parts[3].startsWith('_')) return null;
  return { kind: 'device', store: parts[2], device: parts[3] };
}

export const commandTopic = (store: string, device: string): string => `${TOPIC_ROOT}/${store}/${device}/cmd`;
export const commandResultTopic = (store: string, device: string): string => `${TOPIC_ROOT}/${store}/${device}/cmd/result`;
export const configReportedTopic = (store: string, device: string): string => `${TOPIC_ROOT}/${store}/${device}/config/reported`;

/** The three config topics one device subscribes to. */
export function configTopicsFor(store: string, device: string): string[] {
  return [configTopic({ kind: 'fleet' }), configTopic({ kind: 'store', store }), configTopic({ kind: 'device', store, device })];
}

export const sameScope = (a: Scope, b: Scope): boolean =>
  a.kind === b.kind &&
  (a.kind === 'fleet' || (a.store === (b as { store: string }).store && (a.kind === 'store' || a.device === (b as { device: string }).device)));
