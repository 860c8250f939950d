import { translator } from '../console/i18n';
import type { AlertText, Lang } from '../console/types';
import { alertWords, boundAlertText, decodeAlertText, encodeAlertText, MAX_ALERT_TEXT_JSON, renderAlertText } from './alert-text';

/** An alert's translatable text: rendering in each language, the bounds on what is stored, and reading rows back. */

const reader = (lang: Lang, timeZone = 'Asia/Shanghai') => ({ t: translator(lang), lang, timeZone });
const SINCE = Date.UTC(2026, 11, 6, 8, 50);

describe('alert texts', () => {
  it('renders times in the chain’s zone and nested lists in the reader’s language', () => {
    const offline: AlertText = { key: 'fleet.alerts.text.offline', params: { kiosk: 'S1/K1', since: { time: SINCE } } };
    expect(renderAlertText(offline, reader('zh-CN'))).toBe('收银机 S1/K1 自 2026-12-06 16:50:00 起离线。');
    expect(renderAlertText(offline, reader('en', 'UTC'))).toBe('Kiosk S1/K1 is offline since 2026-12-06 08:50:00.');
    const journal: AlertText = {
      key: 'fleet.alerts.text.journal',
      params: { kiosk: 'S1/K1', problems: { texts: [{ key: 'fleet.alerts.text.journalMissing', params: { from: 2, to: 4 } }, { key: 'fleet.alerts.text.journalBrokenNoDetail' }] } },
    };
    expect(renderAlertText(journal, reader('en'))).toBe('Kiosk S1/K1: HQ is missing journal entries 2..4; its journal chain does not verify at HQ.');
    expect(renderAlertText(journal, reader('zh-CN'))).toBe('收银机 S1/K1：总部缺少日志记录 2..4；日志哈希链在总部校验失败。');
  });

  it('never reads a param’s value as a placeholder', () => {
    const t: AlertText = { key: 'fleet.alerts.text.paperOut', params: { kiosk: '{kiosk}{since}' } };
    expect(renderAlertText(t, reader('en'))).toBe('Kiosk {kiosk}{since}: the receipt printer is out of paper.');
  });

  it('renders nothing (the page shows the English message) for an unknown key, nested or not, or a missing param', () => {
    const message = 'Kiosk S1/K1: the receipt printer is out of paper.';
    const bad: AlertText[] = [
      { key: 'fleet.alerts.text.nope', params: { kiosk: 'S1/K1' } },
      { key: 'fleet.alerts.text.paperOut' },
      { key: 'fleet.alerts.text.journal', params: { kiosk: 'S1/K1', problems: { texts: [{ key: 'fleet.alerts.text.nope' }] } } },
    ];
    for (const text of bad) {
      expect(renderAlertText(text, reader('zh-CN'))).toBeNull();
      expect(alertWords({ message, text }, reader('zh-CN'))).toBe(message);
    }
    expect(alertWords({ message, text: null }, reader('zh-CN'))).toBe(message);
    expect(alertWords({ message, text: { key: 'fleet.alerts.text.paperOut', params: { kiosk: 'S1/K1' } } }, reader('zh-CN'))).toBe('收银机 S1/K1：小票打印机缺纸。');
  });

  it('bounds what it stores: long strings cut, wrong shapes refused, too large not stored', () => {
    expect(boundAlertText({ key: 'fleet.x', params: { a: 'y'.repeat(5000) } })).toEqual({ key: 'fleet.x', params: { a: 'y'.repeat(300) } });
    for (const v of [
      null,
      'fleet.x',
      { key: 'Fleet x' },
      { key: 'x'.repeat(200) },
      { key: 'fleet.x', params: [] },
      { key: 'fleet.x', params: { a: Number.NaN } },
      { key: 'fleet.x', params: { a: { time: '2026' } } },
      { key: 'fleet.x', params: { a: { time: 1, extra: 2 } } },
      { key: 'fleet.x', params: { 'a b': 1 } },
      { key: 'fleet.x', params: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`p${i}`, i])) },
      { key: 'fleet.x', params: { a: { texts: Array.from({ length: 17 }, () => ({ key: 'fleet.y' })) } } },
      { key: 'a', params: { b: { texts: [{ key: 'c', params: { d: { texts: [{ key: 'e', params: { f: { texts: [{ key: 'g' }] } } }] } } }] } } },
    ]) {
      expect(boundAlertText(v)).toBeNull();
    }
    // three levels are fine (a list of refusals, each with its level name)
    const three = { key: 'a', params: { b: { texts: [{ key: 'c', params: { d: { texts: [{ key: 'e', params: { at: { time: 1 } } }] } } }] } } };
    expect(decodeAlertText(encodeAlertText(three))).toEqual(three);
    const big: AlertText = { key: 'fleet.x', params: { list: { texts: Array.from({ length: 16 }, () => ({ key: 'fleet.y', params: { s: 'z'.repeat(300) } })) } } };
    expect(JSON.stringify(boundAlertText(big)).length).toBeGreaterThan(MAX_ALERT_TEXT_JSON);
    expect(encodeAlertText(big)).toBeNull();
    expect(encodeAlertText(undefined)).toBeNull();
  });

  it('reads a stored row back only when it is a bounded alert text', () => {
    expect(decodeAlertText(null)).toBeNull();
    expect(decodeAlertText('{"key": "fleet.x", "params": ')).toBeNull();
    expect(decodeAlertText('['.repeat(3000))).toBeNull();
    expect(decodeAlertText(JSON.stringify({ key: 'fleet.x', params: { a: 'y'.repeat(MAX_ALERT_TEXT_JSON) } }))).toBeNull();
    expect(decodeAlertText('{"key": "fleet.x", "params": {"n": 3, "at": {"time": 5}}}')).toEqual({ key: 'fleet.x', params: { n: 3, at: { time: 5 } } });
  });
});
