// Service ClusterIP and NodePort allocation, done synchronously in the API server on
// create and update, as upstream's service REST does (kubectl shows the ClusterIP at once).
//
// The services watch cache is the source of truth: the allocator follows it (a snapshot,
// then its events) to know which IPs and ports are taken and by whom, so allocations
// survive restarts and are released when a service is deleted or changes type. Between
// admission and the write reaching the cache, a picked value is held as a short-lived
// reservation. Picking and reserving happen without an intervening await, so concurrent
// creates in this process never collide.
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../api/types.js';
import { intToIpv4, ipv4ToInt, parseIpv4Cidr, type Ipv4Range } from '../../api/helpers/ipv4.js';
import { errors, invalidError, StatusError } from '../../machinery/errors.js';
import type { Admit } from '../registry/store.js';
import type { CacheEvent, CachedObject, WatchCache } from '../registry/watchcache.js';

export interface ServiceAllocatorOptions {
  /** --service-cluster-ip-range. */
  serviceCidr: string;
  /** --service-node-port-range, "30000-32767". */
  nodePortRange: string;
  now?: () => number;
}

/** How long a reservation waits for its service to show up in the cache. */
const RESERVATION_MS = 60_000;

interface Held { ips: number[]; ports: number[] }

/** A band of integers [lo, hi] whose low part is kept for explicit requests, as upstream. */
class Band {
  private readonly owner = new Map<number, string>();
  private readonly reserved = new Map<number, number>();

  /** `staticSize`: values at the bottom that random allocation only uses once the rest is full. */
  constructor(readonly lo: number, readonly hi: number, private readonly staticSize: number, private readonly now: () => number) {}

  contains(v: number): boolean { return v >= this.lo && v <= this.hi; }

  /** Taken by a stored service other than `self`, or reserved by a pending write. */
  taken(v: number, self?: string): boolean {
    const o = this.owner.get(v);
    if (o !== undefined && o !== self) return true;
    return (this.reserved.get(v) ?? 0) > this.now();
  }

  reserve(v: number): void { this.reserved.set(v, this.now() + RESERVATION_MS); }

  record(v: number, key: string): void {
    this.owner.set(v, key);
    this.reserved.delete(v);
  }

  forget(v: number, key: string): void {
    if (this.owner.get(v) === key) this.owner.delete(v);
  }

  clear(): void { this.owner.clear(); }

  /** A free value, preferring the dynamic (upper) part; undefined when full. */
  pick(exclude: ReadonlySet<number> = new Set()): number | undefined {
    const dynLo = Math.min(this.lo + this.staticSize, this.hi);
    const scan = (lo: number, hi: number): number | undefined => {
      const n = hi - lo + 1;
      if (n <= 0) return undefined;
      const start = Math.floor(Math.random() * n);
      for (let i = 0; i < n; i++) {
        const v = lo + ((start + i) % n);
        if (!this.taken(v) && !exclude.has(v)) return v;
      }
      return undefined;
    };
    return scan(dynLo, this.hi) ?? scan(this.lo, dynLo - 1);
  }
}

const svcOf = (o: KObject) => o as unknown as Service;

function needsNodePorts(s: Service): boolean {
  const t = s.spec?.type;
  return t === 'NodePort' || (t === 'LoadBalancer' && s.spec?.allocateLoadBalancerNodePorts !== false);
}

function needsHealthCheck(s: Service): boolean {
  return s.spec?.type === 'LoadBalancer' && s.spec?.externalTrafficPolicy === 'Local';
}

function heldBy(s: Service): Held {
  const spec = s.spec ?? {};
  const ips = spec.type === 'ExternalName' ? [] : (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []))
    .map(ipv4ToInt).filter((n): n is number => n !== undefined);
  const ports = (spec.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n > 0);
  if (spec.healthCheckNodePort) ports.push(spec.healthCheckNodePort);
  return { ips, ports };
}

const invalid = (name: string, fieldPath: string, message: string) =>
  invalidError('Service', '', name, [{ type: 'FieldValueInvalid', field: fieldPath, message }]);

export class ServiceAllocator {
  readonly range: Ipv4Range;
  private readonly ips: Band;
  private readonly ports: Band;
  private readonly portRange: string;
  private readonly held = new Map<string, Held>();
  private following?: Promise<void>;

  constructor(private readonly cache: () => WatchCache | undefined, opts: ServiceAllocatorOptions) {
    const r = parseIpv4Cidr(opts.serviceCidr);
    if (!r || r.prefixLength > 30) throw new Error(`invalid service cluster IP range ${opts.serviceCidr}`);
    this.range = r;
    const now = opts.now ?? Date.now;
    const usable = r.size - 2;
    // Upstream's static subrange: size/16 clamped to [16, 256].
    this.ips = new Band(r.base + 1, r.base + r.size - 2, Math.min(Math.max(16, Math.floor(usable / 16)), 256), now);
    const m = /^(\d+)-(\d+)$/.exec(opts.nodePortRange);
    const lo = Number(m?.[1] ?? NaN), hi = Number(m?.[2] ?? NaN);
    if (!m || lo > hi || hi > 65535) throw new Error(`invalid service node port range ${opts.nodePortRange}`);
    this.portRange = `${lo}-${hi}`;
    // Node ports: size/32 clamped to [16, 128].
    this.ports = new Band(lo, hi, Math.min(Math.max(16, Math.floor((hi - lo + 1) / 32)), 128), now);
  }

  /** The admission plugin: allocates on service create and update. */
  readonly admit: Admit = async (op, res, obj, old, ctx) => {
    if (res.group !== '' || res.plural !== 'services' || op === 'DELETE') return;
    await this.follow();
    const svc = svcOf(obj);
    const key = `${res.keyPrefix}${obj.metadata.namespace}/${obj.metadata.name}`;
    // A create that will fail as AlreadyExists must not reserve anything.
    if (op === 'CREATE' && this.cache()?.get(key)) return;
    const picked = this.allocate(svc, old ? svcOf(old) : undefined, op === 'UPDATE' ? key : undefined);
    if (!ctx.dryRun) {
      for (const ip of picked.ips) this.ips.reserve(ip);
      for (const p of picked.ports) this.ports.reserve(p);
    }
  };

  /** Fills the service's clusterIP(s) and node ports in place; returns what it newly took. */
  allocate(svc: Service, old: Service | undefined, self: string | undefined): Held {
    const spec = (svc.spec ??= {});
    const name = svc.metadata?.name ?? '';
    const out: Held = { ips: [], ports: [] };
    const oldHad = old && old.spec?.type !== 'ExternalName';
    if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && !(oldHad && old?.spec?.clusterIP)) {
      const requested = spec.clusterIP || spec.clusterIPs?.[0];
      if (requested) {
        const n = ipv4ToInt(requested);
        const why = n === undefined || !this.ips.contains(n)
          ? `provided IP is not in the valid range. The range of valid IPs is ${intToIpv4(this.range.base)}/${this.range.prefixLength}`
          : this.ips.taken(n, self) ? 'provided IP is already allocated' : '';
        if (why) throw invalid(name, 'spec.clusterIPs', `Invalid value: []string{${(spec.clusterIPs ?? [requested]).map((s) => JSON.stringify(s)).join(', ')}}: failed to allocate IP ${requested}: ${why}`);
        out.ips.push(n!);
      } else {
        const n = this.ips.pick();
        if (n === undefined) throw errors.internal('failed to allocate a serviceIP: range is full');
        out.ips.push(n);
        spec.clusterIP = intToIpv4(n);
        spec.clusterIPs = [spec.clusterIP];
      }
    }
    if (spec.clusterIP === 'None' && !spec.clusterIPs?.length) spec.clusterIPs = ['None'];

    const oldPorts = new Set(old ? heldBy(old).ports : []);
    const mine = new Set<number>();
    const byPort = new Map<number, number>();
    const take = (v: number) => { mine.add(v); if (!oldPorts.has(v)) out.ports.push(v); };
    (spec.ports ?? []).forEach((p: ServicePort, i) => {
      if (!p.nodePort && !needsNodePorts(svc)) return;
      const requested = p.nodePort || (spec.ports ?? []).find((q) => q.port === p.port && q.nodePort)?.nodePort;
      if (requested) {
        if (!mine.has(requested) && !oldPorts.has(requested)) {
          const why = !this.ports.contains(requested)
            ? `provided port is not in the valid range. The range of valid ports is ${this.portRange}`
            : this.ports.taken(requested, self) ? 'provided port is already allocated' : '';
          if (why) throw invalid(name, `spec.ports[${i}].nodePort`, `Invalid value: ${requested}: ${why}`);
        }
        p.nodePort = requested;
        take(requested);
      } else {
        // Ports sharing a number (TCP and UDP) share a node port.
        const v = byPort.get(p.port) ?? this.ports.pick(mine);
        if (v === undefined) throw errors.internal('failed to allocate a nodePort: range is full');
        p.nodePort = v;
        take(v);
      }
      byPort.set(p.port, p.nodePort);
    });
    if (needsHealthCheck(svc)) {
      const hc = spec.healthCheckNodePort;
      if (hc) {
        if (!oldPorts.has(hc) && !mine.has(hc) && (this.ports.taken(hc, self) || !this.ports.contains(hc))) {
          throw new StatusError(500, 'InternalError', `Internal error occurred: failed to allocate requested HealthCheck NodePort ${hc}: provided port is already allocated`);
        }
        take(hc);
      } else {
        const v = this.ports.pick(mine);
        if (v === undefined) throw errors.internal('failed to allocate a HealthCheck NodePort: range is full');
        spec.healthCheckNodePort = v;
        take(v);
      }
    } else if (old && spec.healthCheckNodePort && spec.healthCheckNodePort === old.spec?.healthCheckNodePort) {
      delete spec.healthCheckNodePort;
    }
    return out;
  }

  /** Starts following the services cache (once, and again after the cache restarted). */
  private follow(): Promise<void> {
    this.following ??= (async () => {
      const cache = this.cache();
      if (!cache) return;
      await cache.whenReady();
      this.ips.clear();
      this.ports.clear();
      this.held.clear();
      const { objects } = cache.snapshotAndSubscribe(cache.prefix, {
        deliver: (events: CacheEvent[]) => { for (const e of events) this.observe(e.object, e.type === 'DELETED'); },
        close: () => { this.following = undefined; },
      });
      for (const o of objects) this.observe(o, false);
    })();
    return this.following;
  }

  private observe(o: CachedObject, deleted: boolean): void {
    const prev = this.held.get(o.key);
    if (prev) {
      for (const ip of prev.ips) this.ips.forget(ip, o.key);
      for (const p of prev.ports) this.ports.forget(p, o.key);
      this.held.delete(o.key);
    }
    if (deleted) return;
    const h = heldBy(svcOf(o.obj));
    this.held.set(o.key, h);
    for (const ip of h.ips) this.ips.record(ip, o.key);
    for (const p of h.ports) this.ports.record(p, o.key);
  }
}
