// The scheduler: a kube-scheduler-like framework (queue, cache with assumed pods,
// plugins at upstream's extension points) run as one component.
export { Scheduler, nodeChanges, type SchedulerOptions } from './scheduler.js';
export { SchedulerCache } from './cache.js';
export { SchedulingQueue, type QueuedPodInfo } from './queue.js';
export { Framework, FitError, numFeasibleNodesToFind, reasonHistogram } from './framework.js';
export { defaultProfile, DEFAULT_SCHEDULER_NAME } from './profile.js';
export { newPodInfo, type PodInfo } from './podinfo.js';
export { NodeInfo } from './nodeinfo.js';
export * from './types.js';
