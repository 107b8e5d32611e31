// A kwok-like simulator: N nodes that behave, through the API, like nodes with a kubelet
// but run no containers. It registers the Nodes, keeps their Leases fresh, re-posts their
// status when it must, and moves pods bound to them through their lifecycle.
//
// Built for thousands of nodes in one process: one timer loop (no timer per node or pod),
// node and lease calls through one bounded-concurrency limiter, pod writes through a
// fixed number of queue workers, and one informer each for nodes and pods. Liveness
// (leases, status) outranks registration in the limiter, so an overloaded server
// stretches registration rather than letting registered nodes go NotReady.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import {
  Informer, isAlreadyExists, isConflict, isNotFound, objectKey, splitKey, waitForCacheSync, WorkQueue,
  type Client, type ResourceClient,
} from '../client/index.js';
import { rfc3339Micro } from '../machinery/meta.js';
import { realClock, type Clock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { fallbackPodCIDR, nodeAddress, PodAddresses } from './ipam.js';
import {
  LEASE_DURATION_SECONDS, LEASE_RENEW_MS, leaseObject, NODE_LEASE_NAMESPACE, NODE_STATUS_REPORT_MS, nodeConditions,
  nodeLabels, nodeObject, nodeStatus, runningStatus, SIMULATED_LABEL, succeededStatus, type NodeShape, type RunningInfo,
} from './objects.js';
import { childSignal } from '../util/signal.js';
import { Limiter, TimerLoop } from './pacing.js';

const log = logger('simulator');

const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };

/** Upstream lease controller: renewals jitter by up to 4% of the interval. */
const LEASE_JITTER = 0.04;
const RETRY_MS = 1000;

export interface SimulatorOptions {
  nodes: number;
  /** Node i is named `${namePrefix}${i}`. */
  namePrefix?: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  ephemeralStorage?: string;
  /** Pods with restartPolicy Never or OnFailure succeed this long after they started. */
  podCompleteAfterMs?: number;
  /** Node and lease calls in flight at most. */
  concurrency?: number;
  /** Pod status writers. */
  podWorkers?: number;
  clock?: Clock;
  random?: () => number;
  /** Progress lines for a human ("registered 5000 nodes in 3.2s"). */
  progress?: (line: string) => void;
}

interface SimNode {
  readonly name: string;
  readonly index: number;
  readonly address: string;
  uid?: string;
  registered: boolean;
  /** When Ready last became True, as reported in lastTransitionTime. */
  readySince: number;
  leaseExists: boolean;
  statusInFlight: boolean;
  /** The Node was deleted while we ran: like a kubelet, stop writing for it. */
  gone: boolean;
  addresses?: PodAddresses;
}

interface SimPod {
  uid: string;
  node: SimNode;
  /** undefined for host-network pods, which hold no pod address. */
  ip?: string;
  startedMs: number;
  completionScheduled: boolean;
}

export interface SimulatorStats {
  nodes: number;
  registered: number;
  pods: number;
  leaseRenewals: number;
  statusPosts: number;
}

export class Simulator {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly shape: NodeShape;
  private readonly nodes = new Map<string, SimNode>();
  private readonly pods = new Map<string, SimPod>();
  private readonly nodeClient: ResourceClient<Node>;
  private readonly podClient: ResourceClient<Pod>;
  private readonly leaseClient: ResourceClient<Lease>;
  private readonly nodeInformer: Informer<Node>;
  private readonly podInformer: Informer<Pod>;
  private readonly queue: WorkQueue<string>;
  private readonly loop: TimerLoop;
  private readonly limiter: Limiter;
  private signal: AbortSignal = new AbortController().signal;
  private readonly counters = { leaseRenewals: 0, statusPosts: 0 };
  private registeredResolve!: () => void;
  /** Settles once every node is registered (or the simulator stopped first). */
  readonly registered = new Promise<void>((r) => { this.registeredResolve = r; });

  constructor(client: Client, private readonly opts: SimulatorOptions) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.shape = { cpu: opts.cpu ?? '8', memory: opts.memory ?? '32Gi', pods: opts.pods ?? 110, ephemeralStorage: opts.ephemeralStorage ?? '100Gi' };
    const prefix = opts.namePrefix ?? 'kite-sim-';
    for (let i = 0; i < opts.nodes; i++) {
      const name = `${prefix}${i}`;
      this.nodes.set(name, { name, index: i, address: nodeAddress(i), registered: false, readySince: 0, leaseExists: false, statusInFlight: false, gone: false });
    }
    this.nodeClient = client.resource<Node>(NODES);
    this.podClient = client.resource<Pod>(PODS);
    this.leaseClient = client.resource<Lease>(LEASES);
    this.nodeInformer = new Informer(this.nodeClient, { labelSelector: `${SIMULATED_LABEL}=true`, clock: this.clock });
    // One watch over every scheduled pod, filtered here by node: a watch per node would not scale.
    this.podInformer = new Informer(this.podClient, { fieldSelector: 'spec.nodeName!=', clock: this.clock });
    this.queue = new WorkQueue<string>({ clock: this.clock, name: 'simulator-pods' });
    this.loop = new TimerLoop(this.clock);
    this.limiter = new Limiter(opts.concurrency ?? 48);
  }

  stats(): SimulatorStats {
    let registered = 0;
    for (const n of this.nodes.values()) if (n.registered) registered++;
    return { nodes: this.nodes.size, registered, pods: this.pods.size, ...this.counters };
  }

  /** Runs until the signal aborts. Nodes stay registered; their leases simply stop being renewed. */
  async run(outer: AbortSignal): Promise<void> {
    // Every call in flight listens on this signal: many listeners are expected here.
    const signal = (this.signal = childSignal(outer));
    const onPod = (p: Pod) => { if (this.nodes.has(p.spec?.nodeName ?? '')) this.queue.add(objectKey(p)); };
    this.podInformer.addEventHandler({ onAdd: onPod, onUpdate: (_, p) => onPod(p), onDelete: onPod });
    this.nodeInformer.addEventHandler({
      onAdd: (n) => this.observeNode(n),
      onUpdate: (_, n) => this.observeNode(n),
      onDelete: (n) => { const s = this.nodes.get(n.metadata?.name ?? ''); if (s?.registered) { s.gone = true; log.warn({ node: s.name }, 'node deleted; no longer simulating it'); } },
    });
    const informers = [this.nodeInformer.start(signal), this.podInformer.start(signal)];
    const registering = this.registerAll();
    const working = (async () => {
      // Pods need their node's podCIDR, so the node cache comes first.
      if (await waitForCacheSync(signal, this.nodeInformer, this.podInformer)) await this.queue.runWorkers(this.opts.podWorkers ?? 16, (k) => this.syncPod(k), signal);
    })();
    await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
    this.loop.stop();
    this.queue.shutDown();
    await Promise.all([registering, working, ...informers, this.limiter.idle()]);
    const s = this.stats();
    this.opts.progress?.(`stopped; ${s.registered} nodes stay registered (their leases are no longer renewed)`);
  }

  // ---- nodes ------------------------------------------------------------------------

  private async registerAll(): Promise<void> {
    const t0 = performance.now();
    let existed = 0;
    await Promise.all([...this.nodes.values()].map((n) => this.limiter.run(async () => {
      for (let attempt = 0; !this.signal.aborted; attempt++) {
        try {
          if (await this.register(n)) existed++;
          return;
        } catch (e) {
          if (this.signal.aborted) return;
          log.warn({ node: n.name, err: String(e) }, 'node registration failed; retrying');
          await this.clock.sleep(Math.min(100 * 2 ** attempt, 7000), this.signal);
        }
      }
    })));
    if (!this.signal.aborted) {
      const took = ((performance.now() - t0) / 1000).toFixed(1);
      this.opts.progress?.(`registered ${this.nodes.size} nodes in ${took}s${existed ? ` (${existed} already existed)` : ''}`);
    }
    this.registeredResolve();
  }

  /** Creates the Node, or takes over an existing one; true if it existed. */
  private async register(n: SimNode): Promise<boolean> {
    const now = this.clock.now();
    const signal = this.signal;
    let existed = false;
    try {
      n.uid = (await this.nodeClient.create('', nodeObject(n.name, n.address, this.shape, now), { signal })).metadata?.uid;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      // Re-registration, as a restarted kubelet: refresh labels, then post a full status.
      existed = true;
      n.uid = (await this.nodeClient.patch('', n.name, 'merge', { metadata: { labels: nodeLabels(n.name) } }, { signal })).metadata?.uid;
      await this.nodeClient.patch('', n.name, 'merge', { status: nodeStatus(n.name, n.address, this.shape, now, now) }, { subresource: 'status', signal });
    }
    n.readySince = now;
    n.registered = true;
    this.limiter.run(() => this.renewLease(n), true).then(
      // Spread the fleet's renewals over one interval instead of keeping registration's bunching.
      () => this.loop.after(this.random() * LEASE_RENEW_MS, () => this.leaseTick(n)),
      () => this.loop.after(RETRY_MS, () => this.leaseTick(n)),
    );
    this.loop.after(NODE_STATUS_REPORT_MS * (1 + LEASE_JITTER * this.random()), () => this.statusTick(n));
    return existed;
  }

  private leaseTick(n: SimNode): void {
    if (n.gone || this.signal.aborted) return;
    this.limiter.run(() => this.renewLease(n), true).then(
      () => this.loop.after(LEASE_RENEW_MS * (1 + LEASE_JITTER * this.random()), () => this.leaseTick(n)),
      (e) => {
        if (this.signal.aborted) return;
        log.warn({ node: n.name, err: String(e) }, 'lease renewal failed');
        this.loop.after(RETRY_MS, () => this.leaseTick(n));
      },
    );
  }

  private async renewLease(n: SimNode): Promise<void> {
    if (n.gone || this.signal.aborted) return;
    const now = this.clock.now();
    const signal = this.signal;
    if (!n.leaseExists) {
      try {
        await this.leaseClient.create(NODE_LEASE_NAMESPACE, leaseObject(n.name, n.uid, now), { signal });
        n.leaseExists = true;
        this.counters.leaseRenewals++;
        return;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    try {
      const spec = { holderIdentity: n.name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: rfc3339Micro(now) };
      await this.leaseClient.patch(NODE_LEASE_NAMESPACE, n.name, 'merge', { spec }, { signal });
      n.leaseExists = true;
      this.counters.leaseRenewals++;
    } catch (e) {
      if (isNotFound(e)) n.leaseExists = false;
      throw e;
    }
  }

  private statusTick(n: SimNode): void {
    if (n.gone || this.signal.aborted) return;
    this.postStatus(n).finally(() => this.loop.after(NODE_STATUS_REPORT_MS * (1 + LEASE_JITTER * this.random()), () => this.statusTick(n)));
  }

  /** Re-posts the conditions with a fresh heartbeat; at most one post per node at a time. */
  private async postStatus(n: SimNode): Promise<void> {
    if (n.statusInFlight || n.gone || this.signal.aborted) return;
    n.statusInFlight = true;
    try {
      await this.limiter.run(() => this.nodeClient.patch('', n.name, 'merge',
        { status: { conditions: nodeConditions(this.clock.now(), n.readySince) } }, { subresource: 'status', signal: this.signal }), true);
      this.counters.statusPosts++;
    } catch (e) {
      if (!this.signal.aborted) log.warn({ node: n.name, err: String(e) }, 'node status update failed');
    } finally {
      n.statusInFlight = false;
    }
  }

  /**
   * Someone else changed our node's Ready condition (the node lifecycle controller marks
   * a node Unknown when its lease lapsed): a kubelet that is alive reports Ready again,
   * with a new transition time.
   */
  private observeNode(node: Node): void {
    const n = this.nodes.get(node.metadata?.name ?? '');
    if (!n?.registered || n.gone || n.statusInFlight) return;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') return;
    n.readySince = this.clock.now();
    void this.postStatus(n);
  }

  private podCIDR(n: SimNode): string {
    const cidr = this.nodeInformer.indexer.get(n.name)?.spec?.podCIDR;
    return cidr && !cidr.includes(':') ? cidr : fallbackPodCIDR(n.index);
  }

  // ---- pods -------------------------------------------------------------------------

  private release(key: string): void {
    const p = this.pods.get(key);
    if (!p) return;
    if (p.ip) p.node.addresses?.release(p.ip);
    this.pods.delete(key);
  }

  /** The pod's running record, allocating an address if it has none yet; undefined when the node is out of addresses. */
  private track(key: string, pod: Pod, node: SimNode): SimPod | undefined {
    const uid = pod.metadata?.uid ?? '';
    const known = this.pods.get(key);
    if (known?.uid === uid) return known;
    this.release(key);
    const addresses = (node.addresses ??= new PodAddresses());
    let ip: string | undefined;
    let startedMs = this.clock.now();
    if (pod.status?.phase === 'Running' && pod.status.startTime) {
      // Already running (we restarted): keep what it reports.
      startedMs = Date.parse(pod.status.startTime);
      ip = pod.spec?.hostNetwork ? undefined : pod.status.podIP;
      if (ip) addresses.reserve(ip);
    } else if (!pod.spec?.hostNetwork) {
      ip = addresses.allocate(this.podCIDR(node));
      if (!ip) return undefined;
    }
    const p: SimPod = { uid, node, ip, startedMs, completionScheduled: false };
    this.pods.set(key, p);
    return p;
  }

  private info(p: SimPod): RunningInfo {
    return { hostIP: p.node.address, podIP: p.ip ?? p.node.address, startedMs: p.startedMs };
  }

  private async syncPod(key: string): Promise<{ requeueAfterMs: number } | void> {
    const pod = this.podInformer.indexer.get(key);
    const node = this.nodes.get(pod?.spec?.nodeName ?? '');
    if (!pod || !node || this.pods.get(key)?.uid !== pod.metadata?.uid) this.release(key);
    if (!pod || !node || node.gone) return;
    const { namespace, name } = splitKey(key);
    const uid = pod.metadata?.uid ?? '';
    const phase = pod.status?.phase;
    const signal = this.signal;

    if (pod.metadata?.deletionTimestamp) {
      // As the kubelet: stop the containers, report them terminated, then remove the pod for good.
      const p = phase === 'Running' ? this.track(key, pod, node) : this.pods.get(key);
      if (p && phase !== 'Succeeded' && phase !== 'Failed') {
        await this.podClient.patch(namespace, name, 'merge', { status: succeededStatus(pod, this.info(p), this.clock.now()) }, { subresource: 'status', signal });
      }
      try {
        await this.podClient.delete(namespace, name, { gracePeriodSeconds: 0, preconditions: { uid }, signal });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
      this.release(key);
      return;
    }
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.release(key);
      return;
    }
    const p = this.track(key, pod, node);
    if (!p) {
      log.warn({ pod: key, node: node.name }, 'no pod address left on node; retrying');
      return { requeueAfterMs: 10_000 };
    }
    if (phase !== 'Running') {
      await this.podClient.patch(namespace, name, 'merge', { status: runningStatus(pod, this.info(p)) }, { subresource: 'status', signal });
    }
    const after = this.opts.podCompleteAfterMs;
    const policy = pod.spec?.restartPolicy;
    if (after === undefined || (policy !== 'Never' && policy !== 'OnFailure')) return;
    const due = p.startedMs + after;
    if (this.clock.now() >= due) {
      await this.podClient.patch(namespace, name, 'merge', { status: succeededStatus(pod, this.info(p), this.clock.now()) }, { subresource: 'status', signal });
      this.release(key);
    } else if (!p.completionScheduled) {
      p.completionScheduled = true;
      this.loop.at(due, () => this.queue.add(key));
    }
  }
}
