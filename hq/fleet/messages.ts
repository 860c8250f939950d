import type { Messages } from '../console/types';

/** hq/fleet's console texts, keys prefixed `fleet.`: every key in both languages. */
export const MESSAGES: Messages = { en: {}, 'zh-CN': {} };
