// The scheduling queue: activeQ (ready to schedule, ordered by the profile's QueueSort),
// backoffQ (recently failed, waiting out a per-pod exponential backoff), and the
// unschedulable pods, which wait for a cluster event one of the plugins that rejected
// them cares about (upstream's QueueingHints, simplified to event kinds) or for the
// five-minute safety flush.
import type { Clock, Timer } from '../util/clock.js';
import { KeyedHeap } from './heap.js';
import type { PodInfo } from './podinfo.js';
import type { ClusterEvent } from './types.js';

export interface QueuedPodInfo {
  pod: PodInfo;
  /** When it last entered the activeQ (QueueSort tie-breaker). */
  timestamp: number;
  attempts: number;
  /** Plugins that rejected it last time; empty after an error (any event may help). */
  unschedulablePlugins: Set<string>;
  /** When the last attempt failed. */
  failedAt: number;
}

export interface QueueOptions {
  clock: Clock;
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** Events each plugin registered. */
  pluginEvents: ReadonlyMap<string, ReadonlySet<ClusterEvent>>;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxInUnschedulableMs?: number;
}

const NONE: readonly PodInfo[] = Object.freeze([]);
const keyOf = (q: QueuedPodInfo) => q.pod.key;

export class SchedulingQueue {
  private readonly active: KeyedHeap<QueuedPodInfo>;
  private readonly backoff: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  /** Pods waiting on a node that preemption cleared for them, by node. */
  private readonly nominated = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNodeOf = new Map<string, string>();
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private waiter?: () => void;
  private closed = false;
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;

  constructor(private readonly opts: QueueOptions) {
    this.clock = opts.clock;
    this.active = new KeyedHeap(keyOf, opts.less);
    this.backoff = new KeyedHeap(keyOf, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxInUnschedulableMs = opts.maxInUnschedulableMs ?? 300_000;
  }

  get cycle(): number { return this.schedulingCycle; }
  counts(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  backoffExpiry(q: QueuedPodInfo): number {
    if (q.attempts === 0) return 0;
    return q.failedAt + Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(30, q.attempts - 1));
  }

  private pushActive(q: QueuedPodInfo): void {
    q.timestamp = this.clock.now();
    this.active.push(q);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** A new pending pod. */
  add(pod: PodInfo): void {
    if (this.has(pod.key)) return this.update(pod);
    this.pushActive({ pod, timestamp: 0, attempts: 0, unschedulablePlugins: new Set(), failedAt: 0 });
    this.trackNomination(pod);
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.inFlight.has(key);
  }

  /** The pending pod changed. A rejected pod whose scheduling-relevant fields changed is retried. */
  update(pod: PodInfo): void {
    this.trackNomination(pod);
    const a = this.active.get(pod.key) ?? this.backoff.get(pod.key);
    if (a) {
      a.pod = pod;
      (this.active.has(pod.key) ? this.active : this.backoff).push(a);
      return;
    }
    const f = this.inFlight.get(pod.key);
    if (f) { f.pod = pod; return; }
    const u = this.unschedulable.get(pod.key);
    if (!u) return this.add(pod);
    const old = u.pod.pod;
    u.pod = pod;
    if (JSON.stringify(old.spec) !== JSON.stringify(pod.pod.spec) || JSON.stringify(old.metadata?.labels) !== JSON.stringify(pod.pod.metadata?.labels)) {
      this.unschedulable.delete(pod.key);
      this.requeue(u);
    }
  }

  delete(key: string): void {
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
    this.untrackNomination(key);
  }

  /** Next pod to schedule, waiting while there is none; undefined once closed or aborted. */
  async pop(signal: AbortSignal): Promise<QueuedPodInfo | undefined> {
    while (!this.active.size) {
      if (this.closed || signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.waiter = () => { signal.removeEventListener('abort', onAbort); resolve(); };
      });
    }
    const q = this.active.pop()!;
    q.attempts++;
    this.schedulingCycle++;
    this.inFlight.set(q.pod.key, q);
    return q;
  }

  /** The scheduling attempt of key is over (bound, assumed or requeued). */
  done(key: string): void { this.inFlight.delete(key); }

  /**
   * A failed attempt made in cycle `cycle`. If a move request arrived while it was being
   * scheduled, the event may already have fixed things: back off instead of parking it.
   */
  addUnschedulable(q: QueuedPodInfo, cycle: number, plugins: Set<string>): void {
    this.inFlight.delete(q.pod.key);
    q.failedAt = this.clock.now();
    q.unschedulablePlugins = plugins;
    if (this.moveRequestCycle >= cycle || plugins.size === 0) this.backoff.push(q);
    else this.unschedulable.set(q.pod.key, q);
  }

  /** Retry after an error (or a failed binding): through backoff. */
  addBackoff(q: QueuedPodInfo): void {
    this.inFlight.delete(q.pod.key);
    q.failedAt = this.clock.now();
    q.unschedulablePlugins = new Set();
    this.backoff.push(q);
  }

  private requeue(q: QueuedPodInfo): void {
    if (this.backoffExpiry(q) > this.clock.now()) this.backoff.push(q);
    else this.pushActive(q);
  }

  /** A cluster event: rejected pods waiting for it go back to be retried. */
  onEvent(ev: ClusterEvent, filter?: (q: QueuedPodInfo) => boolean): void {
    this.moveRequestCycle = this.schedulingCycle;
    if (!this.unschedulable.size) return;
    for (const [k, q] of this.unschedulable) {
      if (!this.cares(q, ev) || (filter && !filter(q))) continue;
      this.unschedulable.delete(k);
      this.requeue(q);
    }
  }

  private cares(q: QueuedPodInfo, ev: ClusterEvent): boolean {
    if (!q.unschedulablePlugins.size) return true;
    for (const p of q.unschedulablePlugins) if (this.opts.pluginEvents.get(p)?.has(ev)) return true;
    return false;
  }

  /** Moves pods whose backoff is over to activeQ, and pods parked too long back into play. */
  flush(): void {
    const now = this.clock.now();
    for (let q = this.backoff.peek(); q && this.backoffExpiry(q) <= now; q = this.backoff.peek()) this.pushActive(this.backoff.pop()!);
    for (const [k, q] of this.unschedulable) {
      if (now - q.failedAt > this.maxInUnschedulableMs) {
        this.unschedulable.delete(k);
        this.requeue(q);
      }
    }
  }

  /** Runs the periodic flush until the signal aborts. */
  run(signal: AbortSignal, everyMs = 1000): void {
    let t: Timer | undefined;
    const tick = () => {
      if (signal.aborted) return;
      this.flush();
      t = this.clock.setTimer(everyMs, tick);
    };
    t = this.clock.setTimer(everyMs, tick);
    signal.addEventListener('abort', () => { t?.cancel(); this.close(); }, { once: true });
  }

  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  // --- nominations ---
  private trackNomination(pod: PodInfo): void {
    const node = pod.pod.status?.nominatedNodeName;
    this.untrackNomination(pod.key);
    if (node) this.nominate(pod, node);
  }

  nominate(pod: PodInfo, node: string): void {
    this.untrackNomination(pod.key);
    let m = this.nominated.get(node);
    if (!m) this.nominated.set(node, (m = new Map()));
    m.set(pod.key, pod);
    this.nominatedNodeOf.set(pod.key, node);
  }

  private untrackNomination(key: string): void {
    const node = this.nominatedNodeOf.get(key);
    if (node === undefined) return;
    this.nominatedNodeOf.delete(key);
    const m = this.nominated.get(node);
    m?.delete(key);
    if (m && !m.size) this.nominated.delete(node);
  }

  /** Nominated pods for a node (the scheduled pod itself is excluded by the framework). */
  nominatedPods(node: string): readonly PodInfo[] {
    if (!this.nominated.size) return NONE;
    const m = this.nominated.get(node);
    return m ? [...m.values()] : NONE;
  }

  clearNomination(key: string): void { this.untrackNomination(key); }
}
