import type { RouteDef } from '../console/types';

/** The console routes of hq/config (filled in by its feature work). */
export const ROUTES: RouteDef[] = [];
