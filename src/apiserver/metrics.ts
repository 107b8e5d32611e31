// Prometheus metrics with upstream's names where one exists (apiserver_request_total,
// apiserver_request_duration_seconds, apiserver_storage_objects) plus process metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  private requests = new Counter({ name: 'apiserver_request_total', help: 'Counter of apiserver requests broken out by verb, resource and HTTP response code.', labelNames: ['verb', 'resource', 'code'], registers: [this.registry] });
  private duration = new Histogram({ name: 'apiserver_request_duration_seconds', help: 'Response latency distribution in seconds for each verb and resource.', labelNames: ['verb', 'resource'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  private objects = new Gauge({ name: 'apiserver_storage_objects', help: 'Number of stored objects at the time of last check split by kind.', labelNames: ['resource'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  observe(verb: string, resource: string, code: number, seconds: number): void {
    this.requests.inc({ verb: verb.toUpperCase(), resource, code: String(code) });
    this.duration.observe({ verb: verb.toUpperCase(), resource }, seconds);
  }

  async render(objectCounts: Record<string, number>): Promise<string> {
    this.objects.reset();
    for (const [r, n] of Object.entries(objectCounts)) this.objects.set({ resource: r }, n);
    return this.registry.metrics();
  }
}
