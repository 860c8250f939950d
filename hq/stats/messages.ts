import type { Messages } from '../console/types';

/** hq/stats's console texts, keys prefixed `stats.`: every key in both languages. */
export const MESSAGES: Messages = { en: {}, 'zh-CN': {} };
