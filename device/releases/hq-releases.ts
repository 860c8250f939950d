import * as path from 'node:path';
import * as tls from 'node:tls';
import type { MqttClient } from 'mqtt';
import type { Committed } from '../../runtime/orders/engine';
import { CLOSED_STATES } from '../../runtime/orders/states';
import { CONFIG_SCHEMA_VERSION } from '../../config/schema';
import { backupDatabase, backupsDir } from '../../runtime/db/backup';
import { verifyJournal } from '../../protocol/journal/verify';
import { releaseOfferTopic, releaseReportedTopic } from '../../protocol/releases/topics';
import type { ReleaseReported } from '../../protocol/releases/release-offer';
import { standingSubscription } from '../../runtime/hq-sync/standing-subscription';
import { ReleaseAgent } from '../../runtime/releases/release-agent';
import { currentVersion } from '../../runtime/releases/layout';
import { clearPendingHealth, runProbation, schemaVersionOf } from '../../runtime/releases/probation';
import { readPendingHealth } from '../../runtime/releases/switch';
import type { Kiosk } from '../kiosk';
import type { Logger } from '../logger';
import { requestReleaseRestart } from './restart';

export interface HqReleases {
  agent: ReleaseAgent;
  close(opts?: { keepSubscriptions?: boolean }): Promise<void>;
}

/**
 * The kiosk's side of over-the-air releases on the HQ link (README "Over-the-air releases"): offers on
 * `release` (retained) go to the {@link ReleaseAgent}; every step is published retained on `release/reported`; an
 * order that closes lets a downloaded release switch. At start: a release on probation runs its health check
 * (ready, devices, journal verify, HQ link up) with the lane closed to new shoppers — nothing is sold on a release
 * that may be rolled back — and is reported `healthy` or rolled back; a release just rolled back to reports
 * `rolled_back` with the failed check.
 */
export function startReleases(k: Kiosk, o: { client: MqttClient; store: string; device: string; ca?: Buffer; clientCert?: { cert: Buffer; key: Buffer }; log?: Logger; restart?: () => void }): HqReleases {
  const { clock } = k;
  const cfg = k.config.updates;
  const log = o.log;
  const restart = o.restart ?? requestReleaseRestart;
  const report = (r: ReleaseReported) => o.client.publish(releaseReportedTopic(o.store, o.device), JSON.stringify(r), { qos: 1, retain: true });
  const agent = new ReleaseAgent({
    root: cfg.root,
    clock,
    trust: k.trust,
    store: o.store,
    device: o.device,
    configSchema: CONFIG_SCHEMA_VERSION,
    maxBytesPerSecond: cfg.maxBytesPerSecond,
    healthWindowMs: cfg.healthWindowMs,
    // HQ's HTTPS server: the system's CAs and the identity's CA (an HQ with its own CA, `hq ca server`)
    ...(o.ca ? { ca: [...tls.rootCertificates, o.ca.toString('utf8')].join('\n') } : {}),
    ...(o.clientCert ? { clientCert: o.clientCert } : {}),
    report,
    idle: async () => (await k.engine.openOrder()) === null,
    backup: async () => {
      const out = path.join(backupsDir(k.config.dataDir), `pre-release-${new Date(clock.now()).toISOString().replace(/[-:]/g, '')}.db`);
      const b = await backupDatabase(k.dbFile, out, { clock });
      return { file: b.file, schemaVersion: await schemaVersionOf(k.dbFile) };
    },
    restart,
    log: { info: (x, m) => log?.info(x, m), warn: (x, m) => log?.warn(x, m) },
  });

  const onMessage = (topic: string, payload: Buffer) => {
    if (topic !== releaseOfferTopic(o.store, o.device) || payload.length === 0) return;
    void agent.offer(payload).catch((e: unknown) => log?.error({ err: String(e) }, 'release offer failed'));
  };
  const sub = standingSubscription(o.client, [releaseOfferTopic(o.store, o.device)], onMessage, (e) => log?.warn({ err: String(e) }, 'release subscription'));
  const onClosed = (c: Committed) => {
    if (CLOSED_STATES.includes(c.order.state)) void agent.notifyIdle().catch((e: unknown) => log?.error({ err: String(e) }, 'release switch failed'));
  };
  k.engine.on('committed', onClosed);

  const probation = new AbortController();
  const afterStart = async () => {
    const marker = readPendingHealth(cfg.root);
    const running = currentVersion(cfg.root) ?? 'unknown';
    const send = (step: ReleaseReported['step'], extra: Partial<ReleaseReported> = {}) =>
      marker && report({ v: 1, rollout: marker.rollout, version: marker.version, step, running: currentVersion(cfg.root) ?? 'unknown', ts: clock.now(), ...extra });
    if (marker?.failed && running === marker.previous) {
      send('rolled_back', { reason: marker.failed.check.slice(0, 64), detail: `${marker.failed.detail}${marker.restored ? '; database restored from the backup made at the switch' : ''}`.slice(0, 500) });
      clearPendingHealth(cfg.root);
    } else if (marker && !marker.failed && running === marker.previous) {
      send('failed', { reason: 'switch_interrupted', detail: 'the kiosk stopped between the backup and the switch' });
      clearPendingHealth(cfg.root);
    } else if (marker && !marker.failed && running === marker.version) {
      const lockedByUs = k.lane.closed === null;
      if (lockedByUs) k.lane.lock('software update: checking the new release');
      send('health_check');
      const outcome = await runProbation({
        root: cfg.root,
        marker,
        clock,
        signal: probation.signal,
        checks: {
          ready: async () => (k.storage.failure ? `storage: ${k.storage.failure.error.message}` : k.faults.reasons().length ? k.faults.reasons().join('; ') : null),
          devices: async () => {
            const c = k.condition();
            return c.inService ? null : c.reasons.join('; ');
          },
          journal: async () => {
            const r = await verifyJournal(k.db.read);
            return r.ok ? null : `broken at seq ${r.brokenAt}: ${r.reason}`;
          },
          hq: async () => (k.connectivity.hq ? null : 'the HQ link is not up'),
        },
      });
      if (outcome.ok) {
        if (lockedByUs) k.lane.unlock();
        send('healthy');
        log?.info({ release: marker.version }, 'release healthy');
      } else {
        send('rolled_back', { reason: outcome.check.slice(0, 64), detail: outcome.detail.slice(0, 500) });
        log?.error({ release: marker.version, previous: marker.previous, check: outcome.check, detail: outcome.detail }, 'release failed its health check: rolling back');
        restart();
      }
    }
    await agent.resume();
  };
  const started = afterStart().catch((e: unknown) => {
    if (!probation.signal.aborted) log?.error({ err: String(e) }, 'release start-up failed');
  });

  return {
    agent,
    async close(closeOpts) {
      probation.abort(new Error('stopping'));
      k.engine.off('committed', onClosed);
      await started;
      await agent.close();
      await sub.close(closeOpts);
    },
  };
}
