// The core ("" group, v1) kinds.
import type { ResourceStrategy } from '../../types.js';
import { eventStrategy, namespaceStrategy, nodeStrategy } from './cluster.js';
import { configMapStrategy, secretStrategy, serviceAccountStrategy } from './config.js';
import { podStrategy } from './pod.js';
import { limitRangeStrategy, podTemplateStrategy, resourceQuotaStrategy } from './policy.js';
import { endpointsStrategy, serviceStrategy } from './service.js';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy } from './storage.js';

export * from './podspec.js';
export { nodeRoles, nodeStatusString } from './cluster.js';
export { podQOSClass } from './pod.js';

/**
 * In upstream's /api/v1 order: resources sorted by plural name. Discovery order is what
 * orders `kubectl get all`: kubectl expands the "all" category by walking groups in
 * discovery order and each group's resources in the order served, so core pods come
 * before services, and both before apps (daemonsets, deployments, ...).
 */
export const coreResources: ResourceStrategy[] = [
  configMapStrategy,
  endpointsStrategy,
  eventStrategy,
  limitRangeStrategy,
  namespaceStrategy,
  nodeStrategy,
  persistentVolumeClaimStrategy,
  persistentVolumeStrategy,
  podStrategy,
  podTemplateStrategy,
  resourceQuotaStrategy,
  secretStrategy,
  serviceAccountStrategy,
  serviceStrategy,
];
