import type { Messages } from '../console/types';

/** hq/orders's console texts, keys prefixed `orders.`: every key in both languages. */
export const MESSAGES: Messages = { en: {}, 'zh-CN': {} };
