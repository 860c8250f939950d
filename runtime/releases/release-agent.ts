import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Clock } from '../../kernel/clock';
import type { TrustedKeys } from '../../protocol/signed-envelope';
import { releaseReportedSchema, type ReleaseOffer, type ReleaseReported, type ReleaseStep } from '../../protocol/releases/release-offer';
import { checkReleaseOffer, type OfferCheck } from './offer-check';
import { downloadPackage, partialOf } from './download';
import { installRelease, isInstalled } from './install';
import { currentVersion, downloadFile, releaseDir } from './layout';
import { readReleaseState, writeReleaseState, type ReleaseState } from './release-state';
import { readPendingHealth, switchCurrent, writePendingHealth } from './switch';
import { sleepOn } from './token-bucket';

/**
 * The kiosk's side of an over-the-air release, from the offer to the restart into the new release:
 *
 *   offered → downloading (progress) → downloaded → verified → installed → waiting_for_idle → switching → (restart)
 *
 * and `failed` (with a reason code) or `withdrawn`. Every step is reported (retained: HQ sees the latest) and kept in
 * `<root>/updates/state.json`, so a restart goes on where it was (a download resumes from its `.partial` file). A
 * newer install offer replaces one not yet switched to; a `withdraw` drops it. The switch waits for the lane to be
 * idle (no open order), backs the database up, writes the pending-health marker, swaps `current`, and asks for a
 * restart; the new release's health check (./probation.ts) decides between `healthy` and `rolled_back`.
 */

export interface ReleaseAgentDeps {
  root: string;
  clock: Clock;
  trust: TrustedKeys;
  store: string;
  device: string;
  /** This kiosk's CONFIG_SCHEMA_VERSION. */
  configSchema: number;
  maxBytesPerSecond: number;
  healthWindowMs: number;
  /** The CA HQ's HTTPS server is checked against (the identity's caFile); absent: the system's CAs. */
  ca?: Buffer | string;
  /** The kiosk's client certificate for HQ's file server, when it has one. */
  clientCert?: { cert: Buffer; key: Buffer };
  /** Publishes the report (retained, QoS 1). */
  report(r: ReleaseReported): void;
  /** True when no order is open (the switch waits for it). */
  idle(): Promise<boolean>;
  /** Backs the database up before the switch: the file and the schema version (`PRAGMA user_version`). */
  backup(): Promise<{ file: string | null; schemaVersion: number }>;
  /** Ends the process so that its supervisor starts the (new) current release: exit RELEASE_RESTART_EXIT. */
  restart(): void;
  log?: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
  /** Download retries (full-jitter capped backoff); default 5 s … 10 min. */
  retry?: { baseMs: number; capMs: number };
  progressEveryMs?: number;
  random?: () => number;
}

type Active = NonNullable<ReleaseState['active']>;
const BEFORE_SWITCH: readonly ReleaseStep[] = ['offered', 'downloading', 'downloaded', 'verified', 'installed', 'waiting_for_idle'];

export class ReleaseAgent {
  private queue: Promise<unknown> = Promise.resolve();
  private work: { version: string; abort: AbortController; done: Promise<void> } | null = null;
  private closed = false;

  constructor(private readonly d: ReleaseAgentDeps) {}

  /** The release running now (`current`'s target), or null when the kiosk does not run from `<root>/releases`. */
  running(): string | null {
    return currentVersion(this.d.root);
  }

  /** Handles one offer message (serialised with the others). Resolves with the check's outcome. */
  offer(raw: Buffer | string): Promise<OfferCheck> {
    const p = this.queue.then(() => this.handle(raw));
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** After a start: goes on with an offer that was being worked on (download, install, wait for idle). */
  resume(): Promise<void> {
    const p = this.queue.then(() => {
      const st = readReleaseState(this.d.root);
      if (!st.active || st.active.offer.version === this.running()) return;
      // stopped during the switch before its marker was written: nothing was switched, the switch is tried again
      if (st.active.step === 'switching' && !readPendingHealth(this.d.root)) {
        this.setStep('waiting_for_idle');
        this.begin({ ...st.active, step: 'waiting_for_idle' });
      } else if (BEFORE_SWITCH.includes(st.active.step)) this.begin(st.active);
    });
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** An order closed: a release waiting for an idle lane may switch now. */
  notifyIdle(): Promise<void> {
    const p = this.queue.then(() => this.trySwitch());
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Stops the background work (the state stays: the next start resumes). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.work;
    w?.abort.abort(new Error('stopping'));
    await w?.done;
  }

  private send(offer: Pick<ReleaseOffer, 'rollout' | 'version'>, step: ReleaseStep, extra: Partial<ReleaseReported> = {}): void {
    const r: ReleaseReported = {
      v: 1,
      rollout: offer.rollout,
      version: offer.version,
      step,
      running: this.running() ?? 'unknown',
      ts: this.d.clock.now(),
      ...extra,
      ...(extra.reason ? { reason: extra.reason.slice(0, 64) } : {}),
      ...(extra.detail ? { detail: extra.detail.slice(0, 500) } : {}),
    };
    this.d.report(releaseReportedSchema.parse(r));
  }

  private setStep(step: ReleaseStep): void {
    const st = readReleaseState(this.d.root);
    if (st.active) writeReleaseState(this.d.root, { ...st, active: { ...st.active, step } });
  }

  private async handle(raw: Buffer | string): Promise<OfferCheck> {
    const st = readReleaseState(this.d.root);
    const running = this.running();
    const check = checkReleaseOffer(raw, {
      trust: this.d.trust,
      now: this.d.clock.now(),
      store: this.d.store,
      device: this.d.device,
      acceptedOfferVersion: st.acceptedOfferVersion,
      configSchema: this.d.configSchema,
      running: running ?? '',
    });
    if (!check.ok) {
      // a verified envelope counts as seen even when the kiosk refuses it (TUF: only verified state is kept)
      if (check.envelopeVersion !== undefined) writeReleaseState(this.d.root, { ...st, acceptedOfferVersion: check.envelopeVersion });
      this.d.log?.warn({ reason: check.reason, detail: check.detail, ...(check.claimed ?? {}) }, 'release offer refused');
      // a replay of an older offer is not news for HQ (it would overwrite the report of the offer in force)
      if (check.claimed && check.reason !== 'not_newer') this.send(check.claimed, 'failed', { reason: check.reason, detail: check.detail });
      return check;
    }
    const { offer, envelopeVersion } = check;
    if (offer.action === 'withdraw') {
      const active = st.active;
      const cancels = active !== null && active.offer.version === offer.version && BEFORE_SWITCH.includes(active.step);
      if (cancels) await this.cancel(active);
      writeReleaseState(this.d.root, { v: 1, acceptedOfferVersion: envelopeVersion, active: cancels ? null : active });
      this.d.log?.info({ version: offer.version, rollout: offer.rollout, cancelled: cancels }, 'release withdrawn');
      if (running !== offer.version) this.send(offer, 'withdrawn');
      return check;
    }
    if (running === null) {
      const refused: OfferCheck = { ok: false, reason: 'not_side_by_side', claimed: { rollout: offer.rollout, version: offer.version }, envelopeVersion, detail: `this kiosk does not run from ${this.d.root}/current → releases/<version>: it cannot install side by side` };
      writeReleaseState(this.d.root, { ...st, acceptedOfferVersion: envelopeVersion });
      this.send(offer, 'failed', { reason: 'not_side_by_side', detail: refused.detail });
      return refused;
    }
    // a newer offer replaces one not yet switched to
    if (st.active && BEFORE_SWITCH.includes(st.active.step) && st.active.offer.version !== offer.version) await this.cancel(st.active);
    else if (this.work) await this.stopWork();
    const active: Active = { envelopeVersion, offer, step: 'offered' };
    writeReleaseState(this.d.root, { v: 1, acceptedOfferVersion: envelopeVersion, active });
    this.d.log?.info({ version: offer.version, rollout: offer.rollout, size: offer.package.size }, 'release offered');
    this.send(offer, 'offered');
    this.begin(active);
    return check;
  }

  private async stopWork(): Promise<void> {
    const w = this.work;
    if (!w) return;
    w.abort.abort(new Error('replaced'));
    await w.done;
  }

  /** Drops an offer not yet switched to: its download and its installed folder (never the running release's). */
  private async cancel(active: Active): Promise<void> {
    await this.stopWork();
    const file = downloadFile(this.d.root, active.offer.version);
    fs.rmSync(file, { force: true });
    fs.rmSync(partialOf(file), { force: true });
    if (active.offer.version !== this.running()) fs.rmSync(releaseDir(this.d.root, active.offer.version), { recursive: true, force: true });
  }

  private begin(active: Active): void {
    if (this.closed) return;
    const abort = new AbortController();
    const w = { version: active.offer.version, abort, done: Promise.resolve() };
    w.done = this.prepare(active.offer, abort.signal)
      .catch((e: unknown) => {
        if (abort.signal.aborted) return;
        this.d.log?.warn({ err: (e as Error).message }, 'release failed');
        this.fail(active.offer, 'internal', (e as Error).message);
      })
      .finally(() => {
        if (this.work === w) this.work = null;
      });
    this.work = w;
  }

  private fail(offer: ReleaseOffer, reason: string, detail: string): void {
    const st = readReleaseState(this.d.root);
    if (st.active?.offer.version === offer.version) writeReleaseState(this.d.root, { ...st, active: null });
    this.d.log?.warn({ version: offer.version, reason, detail }, 'release failed');
    this.send(offer, 'failed', { reason, detail });
  }

  /** Download (resumed, retried with backoff), verify, install; then wait for an idle lane. */
  private async prepare(offer: ReleaseOffer, signal: AbortSignal): Promise<void> {
    // installed before a restart: straight to waiting for an idle lane
    if (isInstalled(this.d.root, offer.version, offer.package.sha256)) {
      this.setStep('waiting_for_idle');
      this.send(offer, 'waiting_for_idle');
      void this.notifyIdle();
      return;
    }
    const file = downloadFile(this.d.root, offer.version);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (!fs.existsSync(file)) {
      this.setStep('downloading');
      const retry = this.d.retry ?? { baseMs: 5_000, capMs: 600_000 };
      for (let attempt = 0; ; attempt++) {
        const r = await downloadPackage({
          url: offer.package.url,
          sha256: offer.package.sha256,
          size: offer.package.size,
          file,
          clock: this.d.clock,
          maxBytesPerSecond: this.d.maxBytesPerSecond,
          ...(this.d.ca ? { ca: this.d.ca } : {}),
          ...(this.d.clientCert ? { clientCert: this.d.clientCert } : {}),
          signal,
          progressEveryMs: this.d.progressEveryMs ?? 5_000,
          onProgress: (received, total) => this.send(offer, 'downloading', { received, total }),
        });
        if (r.ok) break;
        if (r.reason === 'aborted' || signal.aborted) return;
        if (r.reason === 'too_large' || r.reason === 'hash_mismatch') return this.fail(offer, r.reason, r.detail);
        const wait = Math.floor((this.d.random ?? Math.random)() * Math.min(retry.capMs, retry.baseMs * 2 ** Math.min(attempt, 30)));
        this.d.log?.warn({ version: offer.version, reason: r.reason, detail: r.detail, received: r.received, retryInMs: wait }, 'release download interrupted');
        this.send(offer, 'downloading', { received: r.received, total: offer.package.size, reason: r.reason, detail: r.detail });
        try {
          await sleepOn(this.d.clock, wait, signal);
        } catch {
          return;
        }
      }
      this.setStep('downloaded');
      this.send(offer, 'downloaded', { received: offer.package.size, total: offer.package.size });
    }
    // checked again from the disk (also after a restart): what is installed is what HQ signed
    const hash = createHash('sha256');
    for await (const c of fs.createReadStream(file)) hash.update(c as Buffer);
    if (hash.digest('hex') !== offer.package.sha256) {
      fs.rmSync(file, { force: true });
      return this.fail(offer, 'hash_mismatch', 'the downloaded package changed on disk');
    }
    if (signal.aborted) return;
    this.setStep('verified');
    this.send(offer, 'verified');
    const running = this.running();
    const inst = await installRelease({ root: this.d.root, tgz: file, version: offer.version, sha256: offer.package.sha256, runningDir: running ? releaseDir(this.d.root, running) : null });
    if (!inst.ok) return this.fail(offer, inst.reason, inst.detail);
    fs.rmSync(file, { force: true });
    if (signal.aborted) return;
    this.setStep('installed');
    this.send(offer, 'installed', { detail: `dependencies: ${inst.dependencies}` });
    this.setStep('waiting_for_idle');
    this.send(offer, 'waiting_for_idle');
    // queued behind whatever is being handled (a withdraw that came meanwhile goes first)
    void this.notifyIdle();
  }

  private async trySwitch(): Promise<void> {
    const st = readReleaseState(this.d.root);
    const active = st.active;
    if (!active || active.step !== 'waiting_for_idle' || this.closed) return;
    if (!(await this.d.idle())) return;
    const offer = active.offer;
    const previous = this.running();
    if (!previous) return this.fail(offer, 'not_side_by_side', 'the running release is no longer under releases/');
    this.setStep('switching');
    this.send(offer, 'switching');
    let backup: { file: string | null; schemaVersion: number };
    try {
      backup = await this.d.backup();
    } catch (e) {
      return this.fail(offer, 'backup_failed', (e as Error).message);
    }
    const now = this.d.clock.now();
    // the marker first: a crash right after the link swap still starts the new release on probation
    writePendingHealth(this.d.root, {
      v: 1,
      rollout: offer.rollout,
      version: offer.version,
      previous,
      backup: backup.file,
      schemaBefore: backup.schemaVersion,
      switchedAt: now,
      deadline: now + this.d.healthWindowMs,
      boots: 0,
    });
    switchCurrent(this.d.root, offer.version);
    writeReleaseState(this.d.root, { ...readReleaseState(this.d.root), active: null });
    this.d.log?.info({ version: offer.version, previous, backup: backup.file }, 'release switched: restarting into it');
    this.d.restart();
  }
}
