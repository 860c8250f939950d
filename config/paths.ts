import * as path from 'node:path';

import { projectRoot } from '../kernel/project-root';

export { projectRoot };

export const starterPriceBookPath = () => path.join(projectRoot(), 'config', 'starter', 'pricebook.json');
export const starterPromotionsPath = () => path.join(projectRoot(), 'config', 'starter', 'promotions.json');
