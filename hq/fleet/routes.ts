import type { RouteDef } from '../console/types';
import { ackPost, alertsPage } from './alerts-page';
import { fleetPage } from './fleet-page';
import { commandPost, kioskPage, retirePost } from './kiosk-page';

/** The console routes of hq/fleet: the fleet table, a kiosk's page, its commands and retirement, the alerts. */
export const ROUTES: RouteDef[] = [
  { method: 'GET', path: '/fleet', permission: 'fleet.view', nav: { label: 'fleet.nav', order: 10 }, handler: fleetPage },
  { method: 'GET', path: '/fleet/:store/:device', permission: 'fleet.view', storeParam: 'store', handler: kioskPage },
  { method: 'POST', path: '/fleet/:store/:device/command', permission: 'fleet.command', storeParam: 'store', handler: commandPost },
  { method: 'POST', path: '/fleet/:store/:device/retire', permission: 'fleet.retire', storeParam: 'store', handler: retirePost },
  { method: 'GET', path: '/alerts', permission: 'alerts.view', nav: { label: 'fleet.alerts.nav', order: 15 }, handler: alertsPage },
  { method: 'POST', path: '/alerts/:id/ack', permission: 'alerts.ack', handler: ackPost },
];
