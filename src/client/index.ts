// Client machinery: REST transports, resource clients, informers and listers, work
// queues, expectations, leader election and event recording. See docs/client.md.
export {
  BaseRestClient, FunctionTransport, decodeResponse, decodeWatchEvents, encodeUrl, untilAborted,
  type Headers, type Query, type RequestOptions, type RestClient, type RestResponse, type TransportHandler,
  type TransportRequest, type TransportResponse, type WatchEvent, type WatchEventType,
} from './transport.js';
export {
  HttpTransport, connectionFromKubeconfig, loadKubeconfig,
  type ConnectionConfig, type HttpTransportOptions, type Kubeconfig, type KubeconfigCluster, type KubeconfigContext, type KubeconfigUser,
} from './http.js';
export {
  ApiError, isAlreadyExists, isConflict, isForbidden, isGone, isInvalid, isNotFound, isResourceExpired, isStatus,
  isTooManyRequests, reasonOf,
} from './errors.js';
export {
  Client, ResourceClient, apiPrefix, apiVersionOf,
  type DeleteOptions, type GroupVersionResource, type KubeObject, type ListOptions, type ObjectList, type ObjectMetaLike,
  type PatchOptions, type PatchType, type WatchOptions, type WriteOptions,
} from './resource.js';
export {
  Indexer, Lister, NAMESPACE_INDEX, byControllerUid, byNamespace, byNodeName, byOwnerUid, deepFreeze, objectKey, splitKey,
  type IndexFunc, type Indexers,
} from './store.js';
export {
  Informer, SharedInformerFactory, waitForCacheSync,
  type EventHandler, type InformerOptions, type SharedInformerFactoryOptions,
} from './informer.js';
export {
  BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter, TokenBucket, defaultControllerRateLimiter, type RateLimiter,
} from './ratelimit.js';
export { WorkQueue, type HandlerResult, type WorkQueueOptions } from './workqueue.js';
export { ControllerExpectations, EXPECTATIONS_TTL_MS, UIDTrackingExpectations } from './expectations.js';
export { LEASES, LeaderElector, type LeaderElectionConfig } from './leaderelection.js';
export { EVENTS, EventBroadcaster, type EventBroadcasterOptions, type EventRecorder, type EventSource, type EventType } from './events.js';
export { discoverResources } from './discovery.js';
