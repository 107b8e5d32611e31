// Event recording as upstream's record package: recorders hand core/v1 Events to a
// broadcaster that correlates them (repeats become count/lastTimestamp patches, floods of
// similar events are combined, each object's events are rate-limited) and writes them in
// the background. Recording never blocks and never throws; write failures are logged.
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import { realClock, type Clock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../machinery/meta.js';
import { ApiError, isNotFound } from './errors.js';
import { TokenBucket } from './ratelimit.js';
import type { Client, GroupVersionResource, KubeObject, ResourceClient } from './resource.js';

export const EVENTS: GroupVersionResource = { group: '', version: 'v1', resource: 'events', namespaced: true };

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** e.g. "deployment-controller", "default-scheduler", "kubelet". */
  component: string;
  /** Node name, for node-local components. */
  host?: string;
}

export interface EventRecorder {
  /** obj is an API object (its kind/apiVersion/metadata make the reference) or a reference itself. */
  event(obj: KubeObject | ObjectReference, type: EventType, reason: string, message: string): void;
}

// Upstream correlator constants (tools/record/events_cache.go).
const MAX_CACHE_ENTRIES = 4096;
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const SPAM_BURST = 25;
const SPAM_QPS = 1 / 300;
/** An identical event within this window updates the existing Event instead of creating one. */
const DEDUP_WINDOW_MS = 600_000;
const MAX_TRIES = 12;
const RETRY_SLEEP_MS = 10_000;
const MAX_QUEUED = 1000;

/** A Map that forgets its least recently used entries beyond a size. */
class Lru<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) { this.m.delete(k); this.m.set(k, v); }
    return v;
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value!);
  }
}

interface Observation { name: string; count: number; firstTimestamp: string; lastSeen: number }
interface Write { event: Event; patch: boolean }

const refKey = (e: Event) => {
  const o = e.involvedObject;
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion, e.type].join('');
};

function referenceOf(obj: KubeObject | ObjectReference): ObjectReference {
  if ('metadata' in obj && obj.metadata) {
    const m = obj.metadata;
    return { kind: obj.kind, apiVersion: obj.apiVersion, namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
  }
  return obj as ObjectReference;
}

export interface EventBroadcasterOptions {
  clock?: Clock;
}

export class EventBroadcaster {
  private readonly events: ResourceClient<Event>;
  private readonly clock: Clock;
  private readonly log = logger('events');
  private readonly spam = new Lru<TokenBucket>(MAX_CACHE_ENTRIES);
  private readonly aggregates = new Lru<{ messages: Set<string>; last: number }>(MAX_CACHE_ENTRIES);
  private readonly observed = new Lru<Observation>(MAX_CACHE_ENTRIES);
  private readonly queue: Write[] = [];
  private idle: Promise<void> = Promise.resolve();
  private pumping = false;
  /** Events dropped since the queue last drained. */
  private dropped = 0;
  private seq = 0;
  private stopped = false;

  constructor(client: Client, opts: EventBroadcasterOptions = {}) {
    this.events = client.resource<Event>(EVENTS);
    this.clock = opts.clock ?? realClock;
  }

  newRecorder(source: EventSource): EventRecorder {
    return { event: (obj, type, reason, message) => this.record(source, obj, type, reason, message) };
  }

  /** Resolves when every queued write has been attempted. */
  flush(): Promise<void> { return this.idle; }

  /** Drops further events; queued writes still go out (await flush()). */
  shutDown(): void { this.stopped = true; }

  /** `<name>.<hex nanoseconds>`, unique within this process. */
  private eventName(objName: string): string {
    const nanos = BigInt(this.clock.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return `${objName}.${nanos.toString(16)}`;
  }

  private record(source: EventSource, obj: KubeObject | ObjectReference, type: EventType, reason: string, message: string): void {
    if (this.stopped) return;
    if (type !== 'Normal' && type !== 'Warning') {
      this.log.error({ type, reason }, 'unsupported event type; dropped');
      return;
    }
    const ref = referenceOf(obj);
    const now = this.clock.now();
    const stamp = rfc3339Now(now);
    const event: Event = {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: this.eventName(ref.name ?? ''), namespace: ref.namespace || 'default' },
      involvedObject: ref, reason, message, type,
      source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
      firstTimestamp: stamp, lastTimestamp: stamp, count: 1,
      reportingComponent: source.component, reportingInstance: source.host ?? '',
    };

    // Many distinct messages for the same object and reason: fold them into one Event.
    const aggKey = [refKey(event), reason, event.reportingComponent, event.reportingInstance].join('');
    let agg = this.aggregates.get(aggKey);
    if (!agg || now - agg.last > AGGREGATE_INTERVAL_MS) agg = { messages: new Set(), last: now };
    agg.messages.add(message);
    agg.last = now;
    this.aggregates.set(aggKey, agg);
    let key = [refKey(event), ref.fieldPath, reason, message].join('');
    if (agg.messages.size >= AGGREGATE_MAX_EVENTS) {
      key = aggKey;
      event.message = `(combined from similar events): ${message}`;
    }

    // A repeat of an event seen recently: patch its count instead of creating another.
    const prev = this.observed.get(key);
    const patch = !!prev && now - prev.lastSeen <= DEDUP_WINDOW_MS;
    if (patch) {
      event.metadata!.name = prev.name;
      event.count = prev.count + 1;
      event.firstTimestamp = prev.firstTimestamp;
    }
    this.observed.set(key, { name: event.metadata!.name!, count: event.count!, firstTimestamp: event.firstTimestamp!, lastSeen: now });

    // Per-object spam filter: a burst of 25, then one every five minutes.
    const sk = refKey(event);
    let bucket = this.spam.get(sk);
    if (!bucket) this.spam.set(sk, (bucket = new TokenBucket(SPAM_QPS, SPAM_BURST, this.clock)));
    if (!bucket.tryAccept()) {
      this.log.debug({ reason, object: ref.name }, 'event rate-limited');
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      // One warning per overflow, with the count once the queue drains (a flood must not flood the log).
      if (this.dropped++ === 0) this.log.warn({ reason, object: ref.name }, 'event queue full; dropping events');
      return;
    }
    this.queue.push({ event, patch });
    if (!this.pumping) {
      this.pumping = true;
      this.idle = this.pump();
    }
  }

  private async pump(): Promise<void> {
    try {
      for (let w = this.queue.shift(); w; w = this.queue.shift()) await this.write(w);
    } finally {
      this.pumping = false;
      if (this.dropped) this.log.warn({ dropped: this.dropped }, 'event queue drained; events were dropped');
      this.dropped = 0;
    }
  }

  private async write({ event, patch }: Write): Promise<void> {
    const ns = event.metadata!.namespace!;
    for (let tries = 1; ; tries++) {
      try {
        if (patch) {
          try {
            await this.events.patch(ns, event.metadata!.name!, 'strategic', { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message });
            return;
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
        }
        await this.events.create(ns, event);
        return;
      } catch (e) {
        // The server answered: retrying the same write will not help.
        if (e instanceof ApiError || tries >= MAX_TRIES) {
          this.log.warn({ err: String(e), event: event.metadata!.name, reason: event.reason }, 'unable to write event');
          return;
        }
        if (!(await this.clock.sleep(RETRY_SLEEP_MS))) return;
      }
    }
  }
}
