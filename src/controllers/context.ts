// What every controller gets: a client, the shared informers, an event recorder and a
// clock. Controllers are level-triggered: informer events only enqueue keys; workers
// read listers, compare with desired state and act through the API.
import type { Client, EventRecorder, SharedInformerFactory } from '../client/index.js';
import type { Clock } from '../util/clock.js';

/** Upstream kube-controller-manager timing flags, with upstream defaults. */
export interface ControllerOptions {
  /** --node-monitor-grace-period: a node without a heartbeat this long is NotReady/Unknown. */
  nodeMonitorGracePeriodMs: number;
  /** --node-monitor-period: how often node health is checked. */
  nodeMonitorPeriodMs: number;
  /** --terminated-pod-gc-threshold. */
  terminatedPodGcThreshold: number;
  /** --service-cluster-ip-range. */
  serviceClusterIpRange: string;
  /** --service-node-port-range. */
  serviceNodePortRange: string;
  /** --cluster-cidr (pod network; nodes get a /24 each). */
  clusterCidr: string;
  /** PEM bundle published as kube-root-ca.crt in every namespace. */
  rootCaCert?: string;
  /** --concurrent-*-syncs defaults to 5 upstream; one knob here. */
  workers: number;
}

export const DEFAULT_CONTROLLER_OPTIONS: ControllerOptions = {
  nodeMonitorGracePeriodMs: 40_000,
  nodeMonitorPeriodMs: 5_000,
  terminatedPodGcThreshold: 12_500,
  serviceClusterIpRange: '10.43.0.0/16',
  serviceNodePortRange: '30000-32767',
  clusterCidr: '10.42.0.0/16',
  workers: 5,
};

export interface ControllerContext {
  client: Client;
  informers: SharedInformerFactory;
  /** A recorder whose events carry this controller's name as the source component. */
  recorder(component: string): EventRecorder;
  clock: Clock;
  options: ControllerOptions;
}

export interface Controller {
  readonly name: string;
  /**
   * Runs until the signal aborts. Must ask the informer factory for every informer it
   * needs before awaiting anything, then wait for ITS OWN informers to sync
   * (`waitForCacheSync(signal, ...mine)`) before acting: waiting on the whole factory
   * would tie it to every other controller's informers.
   */
  run(signal: AbortSignal): Promise<void>;
}

export type ControllerFactory = (ctx: ControllerContext) => Controller;
