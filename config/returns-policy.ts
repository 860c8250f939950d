import type { KioskConfig } from './schema';

export type ReturnsPolicy = NonNullable<KioskConfig['returns']>;

/** The out-of-the-box returns policy: 7 days, three reasons, any attendant, money back the way it came. */
export function defaultReturnsPolicy(): ReturnsPolicy {
  return {
    days: 7,
    reasons: [
      { id: 'defective', label: { 'zh-CN': '质量问题', en: 'Defective' } },
      { id: 'wrong-item', label: { 'zh-CN': '商品不符', en: 'Wrong item' } },
      { id: 'changed-mind', label: { 'zh-CN': '不想要了', en: 'Changed mind' } },
    ],
    approval: 'attendant',
    supervisors: [],
    originalMethodOnly: true,
  };
}

/** The store's returns policy (a config without `returns` gets the default). */
export function returnsPolicyOf(config: Pick<KioskConfig, 'returns'>): ReturnsPolicy {
  return config.returns ?? defaultReturnsPolicy();
}
