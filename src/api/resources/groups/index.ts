import type { ResourceStrategy } from '../../types.js';
export const groupResources: ResourceStrategy[] = [];
