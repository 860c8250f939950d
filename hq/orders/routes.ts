import type { RouteDef } from '../console/types';

/** The console routes of hq/orders (filled in by its feature work). */
export const ROUTES: RouteDef[] = [];
