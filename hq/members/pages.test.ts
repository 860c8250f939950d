/** The member page's words for points taken back by refunds (kiosk returns and HQ's channel refunds), in both languages. */
import { translator } from '../console/i18n';
import type { Lang } from '../console/types';
import { resolvePoints } from '../../protocol/members/points-ledger';
import { memberPage } from './pages';
import type { LedgerRow } from './registry';

const row = (r: Partial<LedgerRow>): LedgerRow => ({ memberId: 'M1', source: 'S1/k1', seq: 1, ts: Date.UTC(2026, 0, 5, 2), kind: 'earn', points: 40, orderId: 'o-1', origin: 'kiosk', actor: null, reason: null, ...r });

const entries = [
  row({}),
  row({ seq: 2, ts: Date.UTC(2026, 0, 5, 3), kind: 'redeem', points: 35, orderId: 'o-2' }),
  row({ seq: 3, ts: Date.UTC(2026, 0, 5, 4), kind: 'reverse', points: 15 }),
  row({ source: 'hq', seq: 9, ts: Date.UTC(2026, 0, 5, 5), kind: 'reverse', points: 2, origin: 'refund', actor: 'alice', reason: 'desk-1' }),
];

function render(lang: Lang): string {
  const balance = resolvePoints(entries).get('M1')!;
  return memberPage(
    { t: translator(lang), lang, timezone: 'Asia/Shanghai', csrfToken: 'x', canAdjust: false },
    { id: 'M1', member: undefined, balance, entries, hidden: 0, visible: () => true },
  ).toString();
}

it.each([
  ['en', 'taken back (refund)', 'taken back by refunds 17', 'HQ refund desk-1 by alice', 'took back 15 points for a refund'],
  ['zh-CN', '退款扣回', '退款扣回 17', '总部退款 desk-1（alice）', '因退款扣回 15 积分'],
] as const)('%s: reverse entries are listed as taken back, negative, with HQ refund notes; an overdrawing one is a conflict', (lang, kind, summary, note, conflict) => {
  const page = render(lang);
  const reverse = /<tr data-entry="S1\/k1#3:reverse"[^]*?<\/tr>/.exec(page)![0];
  expect(reverse).toContain(kind);
  expect(reverse).toContain('>-15<');
  expect(/<tr data-entry="hq#9:reverse"[^]*?<\/tr>/.exec(page)![0]).toContain(note);
  expect(page).toContain(summary);
  // 40 earned − 35 redeemed = 5 left when the kiosk took back 15: 10 short
  expect(/<li data-conflict="S1\/k1#3">[^]*?<\/li>/.exec(page)![0]).toContain(conflict);
  expect(page).toContain('class="member-balance negative"');
});
