// Scheduler benchmark, end to end through the API (scheduler_perf-like): the built
// `bin/kite server --disable-agent` (sqlite store, as users run it) as a child process, N fake nodes
// registered over HTTP (8 cpu / 32Gi / 110 pods, Ready), P initial pods scheduled first
// (unmeasured, as scheduler_perf's init pods), then M pods created over HTTP and timed
// until a watch has seen every one bound. Then the server holds many nodes and pods: its RSS and single-pod GET p99.
//
// Usage: node dist/bench/scheduler/main.js [--quick] [--write] [--store memory|sqlite] [--server-cpu-prof DIR] [--nodes N --placed P --pods M]
//   --quick            small counts (seconds)
//   --store            the server's storage backend: sqlite (default, as `kite server`) or memory
//   --write            append the results as a dated section to BENCHMARKS.md
//   --server-cpu-prof  run the server under `node --cpu-prof`, profile kept in DIR
//   --nodes/--placed/--pods  one custom scenario instead of the plan's
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { Client, HttpTransport, type ResourceClient } from '../../src/client/index.js';
import { percentile, until } from '../api/load.js';
import { Child, cpuSecondsOf, freePort, killAll } from '../api/procs.js';

const READY_TEXT = 'Kite API server ready at';
const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };

interface Scenario { nodes: number; placed: number; measured: number }
interface Plan { scenarios: Scenario[]; hold: { nodes: number; pods: number }; gets: number; concurrency: number }

const FULL: Plan = {
  scenarios: [{ nodes: 500, placed: 1000, measured: 2000 }, { nodes: 5000, placed: 1000, measured: 10_000 }],
  hold: { nodes: 5000, pods: 30_000 }, gets: 5000, concurrency: 64,
};
const QUICK: Plan = {
  scenarios: [{ nodes: 100, placed: 100, measured: 300 }, { nodes: 500, placed: 200, measured: 1000 }],
  hold: { nodes: 500, pods: 3000 }, gets: 500, concurrency: 32,
};
/** Targets from the issue. */
const TARGET = { podsPerSec: { 500: 1000, 5000: 500 } as Record<number, number>, rssMB: 1536, getP99Ms: 50 };

class Server {
  private constructor(readonly child: Child, readonly client: Client, readonly http: HttpTransport) {}
  static async start(root: string, dir: string, store: string, cpuProfDir?: string): Promise<Server> {
    const kubeconfig = join(dir, 'kubeconfig');
    const port = await freePort();
    const flags = [...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : []), ...(process.env.KITE_EXP_FLAGS ? process.env.KITE_EXP_FLAGS.split(' ') : [])];
    const args = ['server', '--store', store, '--data-dir', join(dir, 'data'), '--bind-address', '127.0.0.1', '--port', String(port), '--write-kubeconfig', kubeconfig, '--disable-agent'];
    const child = new Child('kite server', process.execPath, [...flags, join(root, 'bin', 'kite'), ...args], [READY_TEXT]);
    if (!(await until(() => Boolean(child.exited) || (child.seen.has(READY_TEXT) && existsSync(kubeconfig)), 60_000, 20)) || child.exited) {
      await child.stop();
      throw new Error(`kite server did not become ready:\n${child.tail}`);
    }
    const http = HttpTransport.fromKubeconfig(kubeconfig);
    return new Server(child, new Client(http), http);
  }
  rssMB(): number { return Math.round(this.child.memKiB('VmRSS') / 1024); }
  async stop(): Promise<void> { this.http.close(); await this.child.stop(); }
}

/** Runs fn(i) for i in [0, n) with at most `c` in flight. */
async function pool(n: number, c: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(c, n) }, async () => {
    while (next < n) await fn(next++);
  }));
}

const nodeName = (i: number) => `node-${String(i).padStart(5, '0')}`;

async function registerNodes(nodes: ResourceClient<Node>, from: number, to: number, c: number): Promise<void> {
  const capacity = { cpu: '8', memory: '32Gi', pods: '110' };
  await pool(to - from, c, async (k) => {
    const name = nodeName(from + k);
    await nodes.create('', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${(from + k) % 3}` } } });
    await nodes.patch('', name, 'merge', { status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } }, { subresource: 'status' });
  });
}

const podSpec = (name: string, node?: string): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'bench' } },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
});

/** Creates n pods; with nodes > 0 they are placed round-robin with spec.nodeName, else left to the scheduler. */
async function createPods(pods: ResourceClient<Pod>, prefix: string, n: number, nodes: number, c: number): Promise<void> {
  await pool(n, c, (i) => pods.create('default', podSpec(`${prefix}-${i}`, nodes ? nodeName(i % nodes) : undefined)).then(() => undefined));
}

interface Result { nodes: number; placed: number; measured: number; seconds: number; podsPerSec: number; rssMB: number; serverCpu: number; benchCpu: number }

/** CPU seconds per wall second as a percentage of one core. */
const pct = (x: number) => `${Math.round(x * 100)}%`;

async function measure(s: Server, sc: Scenario, c: number): Promise<Result> {
  const nodes = s.client.resource<Node>(NODES);
  const pods = s.client.resource<Pod>(PODS);
  await registerNodes(nodes, 0, sc.nodes, c);
  const list = await pods.list('default', { limit: 1 });
  const ac = new AbortController();
  const bound = new Set<string>();
  const placed = new Set<string>();
  // The watch resumes from the last resourceVersion seen if the server ends it.
  const watching = (async () => {
    let rv = list.metadata.resourceVersion;
    while (!ac.signal.aborted) {
      for await (const ev of pods.watch('default', { resourceVersion: rv, signal: ac.signal, allowWatchBookmarks: true })) {
        rv = ev.object.metadata?.resourceVersion ?? rv;
        const name = ev.object.metadata?.name ?? '';
        if (ev.type === 'DELETED' || ev.type === 'BOOKMARK' || !ev.object.spec?.nodeName) continue;
        if (name.startsWith('m-')) bound.add(name);
        else if (name.startsWith('placed-')) placed.add(name);
      }
    }
  })().catch((e) => { if (!ac.signal.aborted) throw e; });
  // As scheduler_perf's init pods: placed by the scheduler, unmeasured, before the measured ones.
  await createPods(pods, 'placed', sc.placed, 0, c);
  if (!(await until(() => placed.size >= sc.placed, 120_000, 10))) throw new Error(`only ${placed.size}/${sc.placed} initial pods were bound`);
  const t0 = performance.now();
  const cpu0 = { server: s.child.cpuSeconds(), bench: cpuSecondsOf('self') };
  await createPods(pods, 'm', sc.measured, 0, c);
  const created = (performance.now() - t0) / 1000;
  const ok = await until(() => bound.size >= sc.measured, 300_000, 10);
  const seconds = (performance.now() - t0) / 1000;
  const serverCpu = (s.child.cpuSeconds() - cpu0.server) / seconds;
  const benchCpu = (cpuSecondsOf('self') - cpu0.bench) / seconds;
  ac.abort();
  await watching;
  if (!ok) {
    const all = await pods.listAll('default');
    const n = all.items.filter((p) => p.metadata?.name?.startsWith('m-') && p.spec?.nodeName).length;
    throw new Error(`watch saw ${bound.size}/${sc.measured} pods bound, a list ${n}; server output:\n${s.child.tail}`);
  }
  process.stderr.write(`  created in ${created.toFixed(2)}s, all bound after ${seconds.toFixed(2)}s; CPU: server ${pct(serverCpu)}, this load generator ${pct(benchCpu)}\n`);
  return { ...sc, seconds, podsPerSec: Math.round(sc.measured / seconds), rssMB: s.rssMB(), serverCpu, benchCpu };
}

async function getP99(s: Server, n: number, names: string[]): Promise<{ p50: number; p99: number }> {
  const lat: number[] = [];
  await pool(n, 8, async (i) => {
    const t = performance.now();
    const r = await s.http.request({ method: 'GET', path: `/api/v1/namespaces/default/pods/${names[(i * 7919) % names.length]}` });
    if (r.status !== 200) throw new Error(`GET answered ${r.status}`);
    lat.push(performance.now() - t);
  });
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    quick: { type: 'boolean' }, write: { type: 'boolean' }, 'server-cpu-prof': { type: 'string' },
    nodes: { type: 'string' }, placed: { type: 'string' }, pods: { type: 'string' }, store: { type: 'string' },
  } });
  // The default store of `kite server`, as scheduler_perf runs against real etcd.
  const store = values.store ?? 'sqlite';
  if (store !== 'memory' && store !== 'sqlite') throw new Error(`--store must be memory or sqlite, got ${store}`);
  let plan = values.quick ? QUICK : FULL;
  if (values.nodes) {
    const sc = { nodes: Number(values.nodes), placed: Number(values.placed ?? 0), measured: Number(values.pods ?? 1000) };
    plan = { ...plan, scenarios: [sc], hold: { nodes: sc.nodes, pods: sc.placed + sc.measured } };
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, existsSync(join(here, '../../bin/kite')) ? '../..' : '../../..');
  const prof = values['server-cpu-prof'] ? resolve(values['server-cpu-prof']) : undefined;
  const lines: string[] = [];
  const results: Result[] = [];
  let hold = '';
  for (const [i, sc] of plan.scenarios.entries()) {
    const dir = mkdtempSync(join(os.tmpdir(), 'kite-bench-sched-'));
    const s = await Server.start(root, dir, store, prof);
    try {
      const r = await measure(s, sc, plan.concurrency);
      results.push(r);
      process.stderr.write(`${sc.nodes} nodes, ${sc.placed} placed: ${sc.measured} pods in ${r.seconds.toFixed(2)}s = ${r.podsPerSec} pods/s, RSS ${r.rssMB} MB\n`);
      if (i === plan.scenarios.length - 1) {
        // Hold: grow to the target node and pod counts, then read memory and GET latency.
        const nodes = s.client.resource<Node>(NODES);
        const pods = s.client.resource<Pod>(PODS);
        if (plan.hold.nodes > sc.nodes) await registerNodes(nodes, sc.nodes, plan.hold.nodes, plan.concurrency);
        const have = sc.placed + sc.measured;
        await createPods(pods, 'hold', Math.max(0, plan.hold.pods - have), plan.hold.nodes, plan.concurrency);
        const names = Array.from({ length: Math.min(2000, sc.measured) }, (_, k) => `m-${k}`);
        global.gc?.();
        const g = await getP99(s, plan.gets, names);
        const rss = s.rssMB();
        hold = `| hold ${plan.hold.nodes} nodes, ${plan.hold.pods} pods | RSS ${rss} MB (target ≤ ${TARGET.rssMB}) ${rss <= TARGET.rssMB ? 'ok' : 'FAIL'} | GET p50 ${g.p50.toFixed(1)} ms, p99 ${g.p99.toFixed(1)} ms (target ≤ ${TARGET.getP99Ms}) ${g.p99 <= TARGET.getP99Ms ? 'ok' : 'FAIL'} |`;
        process.stderr.write(`${hold}\n`);
      }
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  lines.push('| nodes | initial pods | measured pods | seconds | pods/s | target | server RSS | server CPU | load generator CPU |', '|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const t = TARGET.podsPerSec[r.nodes];
    lines.push(`| ${r.nodes} | ${r.placed} | ${r.measured} | ${r.seconds.toFixed(2)} | ${r.podsPerSec} | ${t ? `≥ ${t} ${r.podsPerSec >= t ? 'ok' : 'FAIL'}` : '-'} | ${r.rssMB} MB | ${pct(r.serverCpu)} | ${pct(r.benchCpu)} |`);
  }
  lines.push('', '| phase | memory | reads |', '|---|---|---|', hold);
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const section = [
    '', `## Scheduler, ${new Date().toISOString().slice(0, 10)}${values.quick ? ' (quick)' : ''}`, '',
    `Command: \`node dist/bench/scheduler/main.js${values.quick ? ' --quick' : ''}${store !== 'sqlite' ? ` --store ${store}` : ''}\` — machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    `Store: ${store}. End to end: pods created over HTTPS (64 in flight), scheduled by the in-process scheduler, bound via pods/binding, observed bound through a watch. The initial pods are scheduled first, unmeasured (scheduler_perf's init pods).`, '',
    ...lines, '',
  ].join('\n');
  process.stdout.write(section);
  if (values.write) {
    const file = join(root, 'BENCHMARKS.md');
    // Another benchmark appends here too: append only, to the file as it is now.
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
    appendFileSync(file, (before.endsWith('\n') || !before ? '' : '\n') + section);
  }
}

process.on('SIGINT', () => { killAll(); process.exit(130); });
main().catch((e) => {
  killAll();
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
