import type { RouteDef } from '../console/types';
import { orderPage } from './order-page';
import { ordersPage } from './orders-page';
import { returnPost } from './returns';
import { hqRefundPost } from '../refunds/console';

/** The console routes of hq/orders: order search, and one order's detail (404 outside the user's stores). */
export const ROUTES: RouteDef[] = [
  { method: 'GET', path: '/orders', permission: 'orders.view', nav: { label: 'orders.nav', order: 30 }, handler: ordersPage },
  { method: 'GET', path: '/orders/:store/:device/:order', permission: 'orders.view', storeParam: 'store', handler: orderPage },
  { method: 'POST', path: '/orders/:store/:device/:order/return', permission: 'orders.return', storeParam: 'store', handler: returnPost },
  // a channel refund HQ makes itself (QR wallet payments): admins only, as the merchant secrets it uses (hq/refunds)
  { method: 'POST', path: '/orders/:store/:device/:order/hq-refund', permission: 'channels.manage', storeParam: 'store', handler: hqRefundPost },
];
