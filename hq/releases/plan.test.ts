/** The rollout rules on their own (./rollouts.ts planRollout): stages, the failure limit, renewals, withdraws. */
import type { ReleaseStep } from '../../protocol/releases/release-offer';
import { OFFER_RENEW_AFTER_MS, planRollout, type RolloutKioskRow, type RolloutRow, type RolloutState } from './rollouts';

const T = Date.UTC(2026, 11, 7);
const rollout = (state: RolloutState, maxFailures = 1): RolloutRow => ({
  id: 'r1',
  version: '1.0.0',
  selection: { all: true, stores: [], tags: [] },
  percent: 100,
  canaryTag: 'pilot',
  maxFailures,
  url: 'https://hq/releases/files/x.tgz',
  state,
  reason: null,
  createdBy: 'cli:ops',
  createdAt: T,
  updatedAt: T,
});
const kiosk = (deviceId: string, o: { canary?: boolean; offered?: number | null; step?: ReleaseStep | null; withdrawn?: boolean } = {}): RolloutKioskRow => ({
  storeId: 'S1',
  deviceId,
  canary: o.canary ?? false,
  offerSeq: o.offered === undefined || o.offered === null ? null : 1,
  offeredAt: o.offered ?? null,
  withdrawnAt: o.withdrawn ? T : null,
  step: o.step ?? null,
  stepTs: null,
  running: null,
  reason: null,
  detail: null,
  received: null,
  total: null,
  reportedAt: null,
  supersededBy: null,
});
const ids = (ks: RolloutKioskRow[]) => ks.map((k) => k.deviceId);

it('offers the canaries first, the rest once every canary is healthy', () => {
  const fresh = [kiosk('C1', { canary: true }), kiosk('C2', { canary: true }), kiosk('D1'), kiosk('D2')];
  expect(ids(planRollout(rollout('active'), fresh, T).install)).toEqual(['C1', 'C2']);
  const oneHealthy = [kiosk('C1', { canary: true, offered: T, step: 'healthy' }), kiosk('C2', { canary: true, offered: T, step: 'health_check' }), kiosk('D1'), kiosk('D2')];
  expect(ids(planRollout(rollout('active'), oneHealthy, T).install)).toEqual([]);
  oneHealthy[1] = kiosk('C2', { canary: true, offered: T, step: 'healthy' });
  expect(ids(planRollout(rollout('active'), oneHealthy, T).install)).toEqual(['D1', 'D2']);
  // without canaries: everyone at once; paused: no one
  expect(ids(planRollout(rollout('active'), [kiosk('D1'), kiosk('D2')], T).install)).toEqual(['D1', 'D2']);
  expect(planRollout(rollout('paused'), fresh, T)).toEqual({ abort: null, install: [], withdraw: [], complete: false });
});

it('aborts at max failures (not before) and withdraws from offered kiosks that did not switch', () => {
  const ks = [kiosk('C1', { canary: true, offered: T, step: 'rolled_back' }), kiosk('C2', { canary: true, offered: T, step: 'downloading' }), kiosk('C3', { canary: true, offered: T, step: 'switching' }), kiosk('D1')];
  expect(planRollout(rollout('active', 2), ks, T).abort).toBeNull();
  const p = planRollout(rollout('active', 1), ks, T);
  expect(p.abort).toBe('1 kiosk(s) failed or rolled back (max 1)');
  expect([ids(p.install), ids(p.withdraw)]).toEqual([[], ['C1', 'C2']]);
  // once withdrawn, not again
  expect(ids(planRollout(rollout('aborted'), [kiosk('C2', { offered: T, withdrawn: true }), kiosk('D1')], T).withdraw)).toEqual([]);
});

it('signs an unanswered offer again after 23 days, not a settled one; completes when every kiosk is healthy', () => {
  const old = T - OFFER_RENEW_AFTER_MS;
  const ks = [kiosk('D1', { offered: old }), kiosk('D2', { offered: old, step: 'downloading' }), kiosk('D3', { offered: old, step: 'failed' }), kiosk('D4', { offered: old + 1, step: 'downloading' })];
  expect(ids(planRollout(rollout('active', 5), ks, T).install)).toEqual(['D1', 'D2']);
  expect(planRollout(rollout('active'), [kiosk('D1', { offered: T, step: 'healthy' })], T).complete).toBe(true);
  expect(planRollout(rollout('active'), [kiosk('D1', { offered: T, step: 'healthy' }), kiosk('D2', { offered: T })], T).complete).toBe(false);
});

it('a kiosk handed over to a newer rollout counts for nothing: no offer, no withdraw, no failure, not awaited for completion', () => {
  const over = (k: RolloutKioskRow): RolloutKioskRow => ({ ...k, supersededBy: 'r2' });
  const ks = [over(kiosk('C1', { canary: true })), over(kiosk('D1', { offered: T, step: 'failed' })), over(kiosk('D2', { offered: T, step: 'downloading' })), kiosk('D3')];
  // the superseded canary does not hold the rest back; the superseded failure does not abort
  expect(planRollout(rollout('active'), ks, T)).toMatchObject({ abort: null, install: [ks[3]], complete: false });
  expect(planRollout(rollout('aborted'), ks, T).withdraw).toEqual([]);
  // (without the hand-over: the canary first, and an abort with withdraws)
  const mine = ks.map((k) => ({ ...k, supersededBy: null }));
  expect(ids(planRollout(rollout('active', 5), mine, T).install)).toEqual(['C1']);
  expect(ids(planRollout(rollout('aborted'), mine, T).withdraw)).toEqual(['D1', 'D2']);
  expect(planRollout(rollout('active'), [over(kiosk('D1')), kiosk('D2', { offered: T, step: 'healthy' })], T).complete).toBe(true);
});

it('a kiosk mid-install under another rollout is offered nothing until it has finished there', () => {
  const ks = [kiosk('D1'), kiosk('D2'), kiosk('D3', { offered: T - OFFER_RENEW_AFTER_MS })];
  expect(ids(planRollout(rollout('active'), ks, T, new Set(['S1/D1', 'S1/D3'])).install)).toEqual(['D2']);
  expect(ids(planRollout(rollout('active'), ks, T).install)).toEqual(['D1', 'D2', 'D3']);
});
