import { formatAgo, formatTime } from '../console/format';
import { html, type Html } from '../console/html';
import type { ConsoleContext, ConsoleRequest } from '../console/types';
import type { LaneView } from './telemetry-view';
import type { ConsoleFleetRow } from './fleet-query';
import { MESSAGES } from './messages';

/** Small pieces the fleet and alert pages share: links, badges, times. */

export const kioskHref = (storeId: string, deviceId: string): string => `/fleet/${encodeURIComponent(storeId)}/${encodeURIComponent(deviceId)}`;

/** `2026-12-06 13:57:05` with "5 min ago" as its tooltip; `—` for none. */
export function timeCell(req: ConsoleRequest, ctx: ConsoleContext, ms: number | null): Html {
  if (ms === null) return html`<span class="muted">—</span>`;
  return html`<time datetime="${new Date(ms).toISOString()}" title="${formatAgo(ms, ctx.clock.now(), req.lang)}">${formatTime(ms, ctx.settings.timezone, req.lang)}</time>`;
}

export function statusBadge(req: ConsoleRequest, ctx: ConsoleContext, r: ConsoleFleetRow): Html {
  const [cls, key] = r.retiredAt !== null ? ['', 'fleet.state.retired'] : r.online === true ? ['ok', 'fleet.state.online'] : r.online === false ? ['bad', 'fleet.state.offline'] : ['warn', 'fleet.state.unknown'];
  const since = r.since !== null ? html`<br><small class="muted">${req.t('fleet.since', { time: formatTime(r.since, ctx.settings.timezone, req.lang) })}</small>` : '';
  return html`<span class="badge ${cls}" data-state="${r.retiredAt !== null ? 'retired' : r.online === true ? 'online' : r.online === false ? 'offline' : 'unknown'}">${req.t(key)}</span>${since}`;
}

/**
 * An offline kiosk's lane and devices are what it last reported, not what they are now: shown greyed as "last known"
 * under "unknown (offline)", so a killed kiosk never reads "In service, all fine".
 */
function lastKnown(req: ConsoleRequest, what: Html): Html {
  return html`<span class="badge" data-lane="offline">${req.t('fleet.lane.offline')}</span><br><small class="muted">${req.t('fleet.lastKnown')} ${what}</small>`;
}

export function laneBadge(req: ConsoleRequest, lane: LaneView | null, online: boolean | null = true): Html {
  if (!lane) return html`<span class="muted">—</span>`;
  if (online === false) return lastKnown(req, html`${req.t(`fleet.lane.${lane.state}`)}`);
  const cls = lane.state === 'in_service' ? 'ok' : lane.state === 'closed' ? 'warn' : 'bad';
  const reasons = lane.reasons.length ? html`<br><small>${lane.reasons.join('; ')}</small>` : '';
  return html`<span class="badge ${cls}" data-lane="${lane.state}">${req.t(`fleet.lane.${lane.state}`)}</span>${reasons}`;
}

export function devicesCell(req: ConsoleRequest, r: ConsoleFleetRow): Html {
  const bad = r.devices.filter((d) => d.faults.length > 0 || !['ok', 'online', 'ready', 'idle', 'connected', 'healthy'].includes(d.status.toLowerCase()));
  if (r.devices.length === 0) return html`<span class="muted">—</span>`;
  if (r.online === false) return html`<small class="muted">${req.t('fleet.lastKnown')} ${bad.length === 0 ? req.t('fleet.devices.ok') : bad.map((d) => `${d.name}: ${d.faults.join(' ') || d.status}`).join(', ')}</small>`;
  if (bad.length === 0) return html`<span class="badge ok">${req.t('fleet.devices.ok')}</span>`;
  return html`${bad.map((d) => html`<span class="badge warn">${d.name}: ${d.faults.length ? d.faults.join(' ') : d.status}</span> `)}`;
}

/**
 * Under the software version: the kiosk's latest rollout step (hq/releases), linked to its rollout — unless it is
 * `healthy` on the version it runs (nothing to say). A failure or rollback is a bad badge, with the kiosk's reason.
 */
export function releaseNote(req: ConsoleRequest, r: ConsoleFleetRow): Html | '' {
  const rel = r.release;
  if (!rel || (rel.step === 'healthy' && rel.version === r.software)) return '';
  const bad = rel.step === 'failed' || rel.step === 'rolled_back';
  const progress = rel.step === 'downloading' && rel.received !== null && rel.total ? ` ${Math.floor((rel.received / rel.total) * 100)} %` : '';
  const step = html`<span class="badge ${bad ? 'bad' : rel.step === 'healthy' ? 'ok' : 'warn'}" data-release-step="${rel.step}">${req.t(`release.step.${rel.step}`)}${progress}</span>`;
  return html`<br><small class="muted"><a href="/releases/rollouts/${encodeURIComponent(rel.rollout)}">${rel.version}</a> ${step}${bad && rel.reason ? html` ${rel.reason.slice(0, 200)}` : ''}</small>`;
}

export function severityBadge(req: ConsoleRequest, severity: string): Html {
  return html`<span class="badge ${severity === 'critical' ? 'bad' : 'warn'}">${req.t(severity === 'critical' ? 'fleet.alerts.critical' : 'fleet.alerts.warning')}</span>`;
}

/** An alert kind in the user's language (kinds of other features' alerts are shown as they are). */
export function kindLabel(req: ConsoleRequest, kind: string): string {
  const key = `fleet.kind.${kind}`;
  return key in MESSAGES.en ? req.t(key) : kind;
}

/** A store id from a query string, or undefined when absent or not an id. */
export function queryId(v: string | undefined): string | undefined {
  return v && /^[^+#/\0$][^+#/\0]{0,127}$/.test(v) ? v : undefined;
}
