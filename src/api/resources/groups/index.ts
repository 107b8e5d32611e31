// Strategies of every built-in kind outside the core group, in the order upstream discovery
// lists them: groups by their API service priority (apps first, discovery.k8s.io last of
// these), resources alphabetically within a group.
import type { ResourceStrategy } from '../../types.js';
import { apiextensionsResources } from './apiextensions.js';
import { appsResources } from './apps.js';
import { autoscalingResources } from './autoscaling.js';
import { batchResources } from './batch.js';
import { certificatesResources } from './certificates.js';
import { coordinationResources } from './coordination.js';
import { discoveryResources } from './discovery.js';
import { eventsResources } from './events.js';
import { networkingResources } from './networking.js';
import { nodeResources } from './node.js';
import { policyResources } from './policy.js';
import { rbacResources } from './rbac.js';
import { schedulingResources } from './scheduling.js';
import { storageResources } from './storage.js';

export const groupResources: ResourceStrategy[] = [
  ...appsResources, // 17800
  ...eventsResources, // 17750
  ...autoscalingResources, // 17500
  ...batchResources, // 17400
  ...certificatesResources, // 17300
  ...networkingResources, // 17200
  ...policyResources, // 17100
  ...rbacResources, // 17000
  ...storageResources, // 16800
  ...schedulingResources, // 16600
  ...coordinationResources, // 16500
  ...apiextensionsResources, // 16400
  ...nodeResources, // 16300
  ...discoveryResources, // 16200
];

export { parseCron, isKnownTimeZone, CronParseError, type CronSchedule } from './cron.js';
