import type { RouteDef } from '../console/types';
import { ackPost, alertsPage } from './alerts-page';
import { batchPage, batchPost, batchesPage } from './batch-pages';
import { fleetPage } from './fleet-page';
import { commandPost, kioskPage, retirePost } from './kiosk-page';
import { tagPost } from './tags-page';

/** The console routes of hq/fleet: the fleet table, a kiosk's page, its commands, tags and retirement, command batches, the alerts. */
export const ROUTES: RouteDef[] = [
  { method: 'GET', path: '/fleet', permission: 'fleet.view', nav: { label: 'fleet.nav', order: 10 }, handler: fleetPage },
  { method: 'GET', path: '/fleet/:store/:device', permission: 'fleet.view', storeParam: 'store', handler: kioskPage },
  { method: 'POST', path: '/fleet/:store/:device/command', permission: 'fleet.command', storeParam: 'store', handler: commandPost },
  { method: 'POST', path: '/fleet/:store/:device/retire', permission: 'fleet.retire', storeParam: 'store', handler: retirePost },
  { method: 'POST', path: '/fleet/:store/:device/tags', permission: 'fleet.command', storeParam: 'store', handler: tagPost },
  { method: 'GET', path: '/batches', permission: 'fleet.view', nav: { label: 'fleet.batch.nav', order: 12 }, handler: batchesPage },
  { method: 'GET', path: '/batches/:id', permission: 'fleet.view', handler: batchPage },
  { method: 'POST', path: '/batches', permission: 'fleet.command', handler: batchPost },
  { method: 'GET', path: '/alerts', permission: 'alerts.view', nav: { label: 'fleet.alerts.nav', order: 15 }, handler: alertsPage },
  { method: 'POST', path: '/alerts/:id/ack', permission: 'alerts.ack', handler: ackPost },
];
