import { diffBodies, diffLines } from './diff';
import { advancedPart, bodyFromForm, formFields } from './form';

describe('the generated config form', () => {
  it('offers every settable leaf and none of the provisioning-only fields', () => {
    const byPath = new Map(formFields().map((f) => [f.path, f]));
    expect(byPath.get('tax.rate')).toMatchObject({ kind: 'number', min: 0, max: 1, fallback: 0.13 });
    expect(byPath.get('tax.mode')).toMatchObject({ kind: 'enum', options: ['inclusive', 'exclusive'] });
    expect(byPath.get('loyalty.enabled')).toMatchObject({ kind: 'boolean', fallback: true });
    expect(byPath.get('hq.broker')).toMatchObject({ kind: 'nullable-text' });
    expect(byPath.get('screen.branding.primaryColor')).toMatchObject({ kind: 'text' });
    for (const p of ['dataDir', 'device.storeId', 'device.deviceId', 'promotions', 'tax.classes', 'devices.scanner']) expect(byPath.has(p)).toBe(false);
  });

  it('a form becomes a body: filled fields only, numbers as numbers (or the text typed), checkboxes by their marker, advanced merged over', () => {
    const r = bodyFromForm({
      'f.tax.rate': '0.07',
      'f.loyalty.per': '7%',
      'f.tax.mode': '',
      'b.loyalty.enabled': '1', // shown, unchecked → false (the default is true)
      'b.health.enabled': '1',
      'f.health.enabled': 'on', // shown, checked, as the default → not set
      advanced: '{"tax":{"classes":{"food":0.05}},"promotions":[]}',
    });
    expect(r).toEqual({ ok: true, body: { tax: { rate: 0.07, classes: { food: 0.05 } }, loyalty: { per: '7%', enabled: false }, promotions: [] } });
    expect(bodyFromForm({ advanced: '[1]' })).toEqual({ ok: false, problem: 'advanced: expected a JSON object of config sections' });
    expect(bodyFromForm({ advanced: '{' })).toMatchObject({ ok: false, problem: expect.stringMatching(/^advanced: not JSON/) });
    // a box the body in force set stays in the body even when it equals the default
    expect(bodyFromForm({ 'b.loyalty.enabled': '1', 'f.loyalty.enabled': 'on', 'had.loyalty.enabled': '1' })).toEqual({ ok: true, body: { loyalty: { enabled: true } } });
  });

  it('the advanced part is the body without the generated fields', () => {
    expect(advancedPart({ tax: { rate: 0.07, classes: { a: 0.1 } }, loyalty: { per: 5 }, promotions: [] })).toEqual({ tax: { classes: { a: 0.1 } }, promotions: [] });
  });
});

describe('diff against the version in force', () => {
  it('lists added, removed and changed paths with old → new values; arrays compare whole', () => {
    const changes = diffBodies({ tax: { rate: 0.13, mode: 'inclusive' }, locales: { available: ['en'] } }, { tax: { rate: 0.07 }, loyalty: { per: 5 }, locales: { available: ['en', 'zh-CN'] } });
    expect(changes).toEqual([
      { path: 'locales.available', change: 'changed', before: ['en'], after: ['en', 'zh-CN'] },
      { path: 'loyalty', change: 'added', after: { per: 5 } },
      { path: 'tax.mode', change: 'removed', before: 'inclusive' },
      { path: 'tax.rate', change: 'changed', before: 0.13, after: 0.07 },
    ]);
    expect(diffLines(changes)).toEqual(['~ locales.available: ["en"] → ["en","zh-CN"]', '+ loyalty: {"per":5}', '- tax.mode: "inclusive"', '~ tax.rate: 0.13 → 0.07']);
    expect(diffBodies({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
