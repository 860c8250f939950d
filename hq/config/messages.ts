import type { Messages } from '../console/types';

/** hq/config's console texts, keys prefixed `config.`: every key in both languages. */
export const MESSAGES: Messages = { en: {}, 'zh-CN': {} };
