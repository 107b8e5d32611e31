// Leader election on a coordination.k8s.io/v1 Lease, with upstream's algorithm: a
// candidate takes the lease when it is free or when its holder has not renewed it for
// leaseDurationSeconds as measured on the candidate's own clock (since it last saw the
// record change), so clocks need not agree. Every write is a compare-and-swap on
// resourceVersion. The leader renews every retryPeriod and gives up if it cannot renew
// for renewDeadline.
import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { realClock, type Clock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { rfc3339Micro } from '../machinery/meta.js';
import { isNotFound } from './errors.js';
import type { Client, GroupVersionResource, ResourceClient } from './resource.js';

export const LEASES: GroupVersionResource = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };

export interface LeaderElectionConfig {
  client: Client;
  namespace: string;
  /** The Lease name, e.g. "kube-controller-manager". */
  name: string;
  /** Unique per candidate (upstream uses hostname + "_" + a uuid). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** On a clean stop, hand the lease back so the next candidate need not wait for it to expire. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  /** Called once leading; signal aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called after leading ends (lost or stopped). Not called if leadership was never acquired. */
  onStoppedLeading?(): void;
  /** Called whenever the observed holder changes (including to this candidate). */
  onNewLeader?(identity: string): void;
}

const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly leases: ResourceClient<Lease>;
  private readonly clock: Clock;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log;
  /** The last Lease read or written, and when (local clock) its spec last changed. */
  private lease?: Lease;
  private observedRaw = '';
  private observedTime = 0;
  private reportedLeader = '';

  constructor(private readonly cfg: LeaderElectionConfig) {
    this.leases = cfg.client.resource<Lease>(LEASES);
    this.clock = cfg.clock ?? realClock;
    this.leaseDurationMs = cfg.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = cfg.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = cfg.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) throw new Error('renewDeadline must be greater than retryPeriod*1.2');
    this.log = logger(`leaderelection:${cfg.namespace}/${cfg.name}`);
  }

  private get observed(): LeaseSpec { return this.lease?.spec ?? {}; }

  isLeader(): boolean { return this.observed.holderIdentity === this.cfg.identity; }

  /** The holder last observed ("" when none). */
  getLeader(): string { return this.observed.holderIdentity ?? ''; }

  /**
   * Campaigns until leading, leads until the lease is lost or signal aborts, then returns.
   * Run it again to campaign again.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.acquire(signal))) return;
    const leading = new AbortController();
    const stop = () => leading.abort();
    signal.addEventListener('abort', stop, { once: true });
    Promise.resolve()
      .then(() => this.cfg.onStartedLeading(leading.signal))
      .catch((e: unknown) => this.log.error({ err: String(e) }, 'onStartedLeading failed'));
    try {
      await this.renewLoop(signal);
    } finally {
      signal.removeEventListener('abort', stop);
      leading.abort();
      if (signal.aborted && this.cfg.releaseOnCancel) await this.release();
      this.cfg.onStoppedLeading?.();
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    this.log.info({ identity: this.cfg.identity }, 'attempting to acquire leader lease');
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.log.info({ identity: this.cfg.identity }, 'acquired lease');
        return true;
      }
      await this.clock.sleep(this.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR), signal);
    }
    return false;
  }

  private async renewLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const deadline = this.clock.now() + this.renewDeadlineMs;
      let renewed = false;
      while (!signal.aborted && !(renewed = await this.tryAcquireOrRenew(deadline)) && this.clock.now() < deadline) {
        await this.clock.sleep(this.retryPeriodMs, signal);
      }
      if (signal.aborted) return;
      if (!renewed) {
        this.log.warn({ identity: this.cfg.identity }, 'failed to renew lease; leadership lost');
        return;
      }
      await this.clock.sleep(this.retryPeriodMs, signal);
    }
  }

  private isLeaseValid(now: number): boolean {
    return this.observedTime + (this.observed.leaseDurationSeconds ?? 0) * 1000 > now;
  }

  private observe(lease: Lease): void {
    const raw = JSON.stringify(lease.spec ?? {});
    this.lease = lease;
    if (raw !== this.observedRaw) {
      this.observedRaw = raw;
      this.observedTime = this.clock.now();
    }
    const holder = this.getLeader();
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try { this.cfg.onNewLeader?.(holder); } catch (e) { this.log.error({ err: String(e) }, 'onNewLeader failed'); }
    }
  }

  /** A signal that aborts at the deadline (by the injected clock), bounding one API call. */
  private deadlineSignal(deadline: number): { signal: AbortSignal; cancel(): void } {
    const ac = new AbortController();
    const t = this.clock.setTimer(deadline - this.clock.now(), () => ac.abort());
    return { signal: ac.signal, cancel: () => t.cancel() };
  }

  private async write(spec: LeaseSpec, signal: AbortSignal, create = false): Promise<void> {
    const { namespace, name } = this.cfg;
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: create ? { namespace, name } : { ...this.lease?.metadata, namespace, name },
      spec,
    };
    const written = create ? await this.leases.create(namespace, body, { signal }) : await this.leases.update(namespace, body, { signal });
    this.observe(written);
  }

  private async tryAcquireOrRenew(deadline = this.clock.now() + this.renewDeadlineMs): Promise<boolean> {
    const { signal, cancel } = this.deadlineSignal(deadline);
    try {
      return await this.attempt(signal);
    } finally {
      cancel();
    }
  }

  private async attempt(signal: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const stamp = rfc3339Micro(now);
    const desired: LeaseSpec = {
      holderIdentity: this.cfg.identity,
      leaseDurationSeconds: Math.floor(this.leaseDurationMs / 1000),
      acquireTime: stamp,
      renewTime: stamp,
    };
    // Fast path: the leader renews against the version it last wrote.
    if (this.isLeader() && this.isLeaseValid(now)) {
      try {
        await this.write({ ...desired, acquireTime: this.observed.acquireTime, leaseTransitions: this.observed.leaseTransitions }, signal);
        return true;
      } catch (e) {
        this.log.debug({ err: String(e) }, 'optimistic renew failed; re-reading lease');
      }
    }
    let current: Lease;
    try {
      current = await this.leases.get(this.cfg.namespace, this.cfg.name, { signal });
    } catch (e) {
      if (!isNotFound(e)) {
        this.log.warn({ err: String(e) }, 'error retrieving lease');
        return false;
      }
      try {
        await this.write({ ...desired, leaseTransitions: 0 }, signal, true);
        return true;
      } catch (e2) {
        this.log.warn({ err: String(e2) }, 'error creating lease');
        return false;
      }
    }
    this.observe(current);
    const old = current.spec ?? {};
    if (old.holderIdentity && this.isLeaseValid(now) && !this.isLeader()) return false;
    const spec: LeaseSpec = this.isLeader()
      ? { ...desired, acquireTime: old.acquireTime, leaseTransitions: old.leaseTransitions }
      : { ...desired, leaseTransitions: (old.leaseTransitions ?? 0) + 1 };
    try {
      await this.write(spec, signal);
      return true;
    } catch (e) {
      this.log.info({ err: String(e) }, 'failed to update lease');
      return false;
    }
  }

  /** Gives the lease up: no holder, a one-second duration; transitions are kept. */
  private async release(): Promise<void> {
    if (!this.isLeader()) return;
    const stamp = rfc3339Micro(this.clock.now());
    const { signal, cancel } = this.deadlineSignal(this.clock.now() + this.renewDeadlineMs);
    try {
      await this.write({ holderIdentity: '', leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp, leaseTransitions: this.observed.leaseTransitions }, signal);
    } catch (e) {
      this.log.warn({ err: String(e) }, 'failed to release lease');
    } finally {
      cancel();
    }
  }
}
