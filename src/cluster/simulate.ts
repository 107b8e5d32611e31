// `kite simulate`: kwok-like simulated nodes attached to a running cluster through its
// kubeconfig, with the same HTTP client every other remote component uses.
import { Client, connectionFromKubeconfig, HttpTransport, loadKubeconfig } from '../client/index.js';
import { parseQuantity } from '../machinery/quantity.js';
import { Simulator, type SimulatorStats } from '../simulator/index.js';

export { parseDuration } from '../util/duration.js';

export interface SimulateOptions {
  kubeconfig: string;
  nodes: number;
  namePrefix: string;
  cpu: string;
  memory: string;
  pods: number;
  podCompleteAfterMs?: number;
  /** API calls for nodes and leases in flight at most (pod writers come on top). */
  concurrency?: number;
  progress?: (line: string) => void;
}

/** Runs the simulator until the signal aborts; the nodes it registered stay. */
export async function runSimulate(o: SimulateOptions, signal: AbortSignal, onRegistered?: (stats: SimulatorStats) => void): Promise<void> {
  if (!Number.isInteger(o.nodes) || o.nodes < 1) throw new Error(`--nodes must be a positive integer, got ${o.nodes}`);
  if (!Number.isInteger(o.pods) || o.pods < 1) throw new Error(`--pods must be a positive integer, got ${o.pods}`);
  // Canonical quantities, as the API server would store them (throws on malformed input).
  const cpu = parseQuantity(o.cpu).toString();
  const memory = parseQuantity(o.memory).toString();
  const concurrency = o.concurrency ?? 48;
  const podWorkers = 16;
  const rest = new HttpTransport(connectionFromKubeconfig(loadKubeconfig(o.kubeconfig)), { userAgent: 'kite-simulator', maxSockets: concurrency + podWorkers });
  try {
    const sim = new Simulator(new Client(rest), {
      nodes: o.nodes, namePrefix: o.namePrefix, cpu, memory, pods: o.pods, podCompleteAfterMs: o.podCompleteAfterMs,
      concurrency, podWorkers, progress: o.progress,
    });
    const running = sim.run(signal);
    void sim.registered.then(() => { if (!signal.aborted) onRegistered?.(sim.stats()); });
    await running;
  } finally {
    rest.close();
  }
}
