import type { RouteDef } from '../console/types';

/** The console routes of hq/stats (filled in by its feature work). */
export const ROUTES: RouteDef[] = [];
