import type { RouteDef } from '../console/types';

/** The console routes of hq/fleet (filled in by its feature work). */
export const ROUTES: RouteDef[] = [];
