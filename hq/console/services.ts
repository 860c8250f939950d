import type { ConsoleService } from './types';

/** Background services of the features, started by `hq serve` (a feature adds its own line here). */
export const FEATURE_SERVICES: readonly ConsoleService[] = [];
