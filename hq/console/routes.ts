import type { Messages, RouteDef } from './types';
import { ROUTES as FLEET } from '../fleet/routes';
import { MESSAGES as FLEET_MESSAGES } from '../fleet/messages';
import { ROUTES as ORDERS } from '../orders/routes';
import { MESSAGES as ORDERS_MESSAGES } from '../orders/messages';
import { ROUTES as STATS } from '../stats/routes';
import { MESSAGES as STATS_MESSAGES } from '../stats/messages';
import { ROUTES as CONFIG } from '../config/routes';
import { MESSAGES as CONFIG_MESSAGES } from '../config/messages';
import { ROUTES as USERS } from '../users/routes';
import { MESSAGES as USERS_MESSAGES } from '../users/messages';
import { ROUTES as AUDIT } from '../audit/routes';
import { MESSAGES as AUDIT_MESSAGES } from '../audit/messages';
import { ROUTES as RECONCILE } from '../reconcile/routes';
import { MESSAGES as RECONCILE_MESSAGES } from '../reconcile/messages';
import { ROUTES as CHANNELS } from '../channels/routes';
import { MESSAGES as CHANNELS_MESSAGES } from '../channels/messages';
import { ROUTES as PRICEBOOK } from '../pricebook-console/routes';
import { MESSAGES as PRICEBOOK_MESSAGES } from '../pricebook-console/messages';
import { ROUTES as PROMOTIONS } from '../promotions-console/routes';
import { MESSAGES as PROMOTIONS_MESSAGES } from '../promotions-console/messages';
import { MESSAGES as REFUNDS_MESSAGES } from '../refunds/messages';
import { ROUTES as MEMBERS } from '../members/routes';
import { MESSAGES as MEMBERS_MESSAGES } from '../members/messages';
import { ROUTES as RELEASES } from '../releases/routes';
import { MESSAGES as RELEASES_MESSAGES } from '../releases/messages';

/** Every feature's console routes (the core adds its own: login, users, audit). The authorisation matrix test walks this. */
export const FEATURE_ROUTES: readonly RouteDef[] = [...FLEET, ...ORDERS, ...STATS, ...CONFIG, ...PRICEBOOK, ...PROMOTIONS, ...CHANNELS, ...USERS, ...AUDIT, ...RECONCILE, ...MEMBERS, ...RELEASES];

/** Every feature's message catalogue (the core adds its own). */
export const FEATURE_MESSAGES: readonly Messages[] = [FLEET_MESSAGES, ORDERS_MESSAGES, STATS_MESSAGES, CONFIG_MESSAGES, PRICEBOOK_MESSAGES, PROMOTIONS_MESSAGES, CHANNELS_MESSAGES, USERS_MESSAGES, AUDIT_MESSAGES, RECONCILE_MESSAGES, MEMBERS_MESSAGES, REFUNDS_MESSAGES, RELEASES_MESSAGES];

/** Every feature's background services (routes.ts of a feature may export SERVICES), started by `hq serve`. */
export { FEATURE_SERVICES } from './services';
