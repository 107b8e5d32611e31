// The controllers `kite server` runs, in start order. Each entry is a factory; the
// composition root (src/cluster/controllers.ts) builds and runs them.
import type { ControllerFactory } from './context.js';
import { replicaSetController } from './replicaset/index.js';
import { deploymentController } from './deployment/index.js';
import { garbageCollector } from './garbagecollector/index.js';
import { namespaceController } from './namespace/index.js';
import { serviceAccountController } from './serviceaccount/index.js';
import { podGarbageCollector } from './podgc/index.js';
import { daemonSetController } from './daemonset/index.js';
import { statefulSetController } from './statefulset/index.js';
import { jobController } from './job/index.js';
import { cronJobController } from './cronjob/index.js';
import { ttlAfterFinishedController } from './ttlafterfinished/index.js';
import { rootCaCertPublisher } from './rootcacert/index.js';
import { newEndpointsController } from './endpoints/index.js';
import { newEndpointSliceController } from './endpointslice/index.js';
import { newNodeIpamController } from './nodeipam/index.js';
import { newNodeLifecycleController } from './nodelifecycle/index.js';
import { newDisruptionController } from './disruption/index.js';
import { newResourceQuotaController } from './resourcequota/index.js';

export * from './context.js';

export const CONTROLLERS: Record<string, ControllerFactory> = {
  replicaset: replicaSetController,
  deployment: deploymentController,
  garbagecollector: garbageCollector,
  namespace: namespaceController,
  serviceaccount: serviceAccountController,
  podgc: podGarbageCollector,
  endpoints: newEndpointsController,
  endpointslice: newEndpointSliceController,
  nodeipam: newNodeIpamController,
  nodelifecycle: newNodeLifecycleController,
  disruption: newDisruptionController,
  resourcequota: newResourceQuotaController,
  daemonset: daemonSetController,
  statefulset: statefulSetController,
  job: jobController,
  cronjob: cronJobController,
  'ttl-after-finished': ttlAfterFinishedController,
  'root-ca-cert-publisher': rootCaCertPublisher,
};
