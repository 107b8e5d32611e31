// API server benchmark: `kite server --store sqlite` against a real etcd on the same
// machine. Usage: node dist/bench/api/main.js [--quick] [--write] [--server-cpu-prof DIR]
//   --quick            small counts, a smoke run of the harness (seconds)
//   --write            append the results as a dated section to BENCHMARKS.md
//   --server-cpu-prof  run the server under `node --cpu-prof` and keep its profile in DIR
// Exits 1 when the harness itself failed (request errors, lost watch events, etc.);
// missed performance targets are reported as FAIL but do not change the exit code.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { runLoad, send, until, type LoadResult, type Target } from './load.js';
import { Child, cpuSecondsOf, freePort, killAll, machineBusySeconds } from './procs.js';
import { Watcher } from './watch.js';

interface Plan {
  /** [concurrent clients, objects to create] per level. */
  levels: Array<[number, number]>;
  levelMaxMs: number;
  gets: number;
  getMaxMs: number;
  lists: number;
  watchers: number;
}

const FULL: Plan = { levels: [[1, 2000], [16, 5000], [64, 10000]], levelMaxMs: 60_000, gets: 200_000, getMaxMs: 10_000, lists: 3, watchers: 10 };
const QUICK: Plan = { levels: [[1, 50], [16, 100], [64, 200]], levelMaxMs: 10_000, gets: 500, getMaxMs: 5_000, lists: 1, watchers: 10 };

/** Targets from the issue, at the 64-client level. */
const TARGET = { createsPerSec: 2000, createP99Ms: 100, etcdRatio: 0.5, getsPerSec: 15_000, idleRssMB: 80 };

const READY_TEXT = 'Kite API server ready at';
const NS_PREFIX = 'kbench-';
/** Filler that makes each ConfigMap's JSON about 1 KiB. */
const PAYLOAD = 'x'.repeat(900);

function configMap(name: string): Buffer {
  return Buffer.from(
    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}","labels":{"app":"kite-bench"}},"data":{"payload":"${PAYLOAD}"}}`,
  );
}

const tempDirs = new Set<string>();
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}
function removeTempDirs(): void {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/** The repository root: the nearest ancestor of this file holding bin/kite. */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'bin', 'kite'))) {
    const up = dirname(d);
    if (up === d) throw new Error('cannot find the repository root (bin/kite)');
    d = up;
  }
  return d;
}

interface Credentials {
  server: URL;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

function readKubeconfig(path: string): Credentials {
  type Named<T> = { name: string } & T;
  const kc = parseYaml(readFileSync(path, 'utf8')) as {
    'current-context'?: string;
    contexts?: Array<Named<{ context: { cluster: string; user: string } }>>;
    clusters?: Array<Named<{ cluster: { server: string; 'certificate-authority-data'?: string } }>>;
    users?: Array<Named<{ user: { 'client-certificate-data'?: string; 'client-key-data'?: string } }>>;
  };
  const ctx = kc.contexts?.find((c) => c.name === kc['current-context'])?.context;
  const cluster = kc.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = kc.users?.find((u) => u.name === ctx?.user)?.user;
  const b64 = (s: string | undefined, what: string) => {
    if (!s) throw new Error(`kubeconfig ${path} has no ${what}`);
    return Buffer.from(s, 'base64');
  };
  if (!cluster?.server) throw new Error(`kubeconfig ${path} has no server for its current context`);
  return {
    server: new URL(cluster.server),
    ca: b64(cluster['certificate-authority-data'], 'certificate-authority-data'),
    cert: b64(user?.['client-certificate-data'], 'client-certificate-data'),
    key: b64(user?.['client-key-data'], 'client-key-data'),
  };
}

function httpsTarget(c: Credentials, maxSockets: number): Target {
  return { url: c.server, agent: new https.Agent({ keepAlive: true, maxSockets, ca: c.ca, cert: c.cert, key: c.key }) };
}

const problems: string[] = [];
function check(ok: boolean, problem: string): void {
  if (!ok) problems.push(problem);
}
function checkLoad(what: string, r: LoadResult, expected: number): void {
  check(r.errors === 0, `${what}: ${r.errors} failed requests (first: ${r.firstError})`);
  check(r.ok === expected, `${what}: ${r.ok} of ${expected} done within the time bound`);
}

/** Shares of one core used during a phase: by the server under test, by this load generator, by everything else. */
interface CpuShare {
  server: number;
  bench: number;
  other: number;
}

function cpuMeter(server: Child): (elapsedMs: number) => CpuShare {
  const s0 = server.cpuSeconds();
  const b0 = cpuSecondsOf('self');
  const m0 = machineBusySeconds();
  return (elapsedMs) => {
    const secs = elapsedMs / 1000;
    const srv = (server.cpuSeconds() - s0) / secs;
    const bench = (cpuSecondsOf('self') - b0) / secs;
    return { server: srv, bench, other: Math.max(0, (machineBusySeconds() - m0) / secs - srv - bench) };
  };
}

/** Expects `status`; anything else becomes an error message carrying the reply body. */
function expect(status: number, p: Promise<{ status: number; body?: Buffer }>): Promise<string | undefined> {
  return p.then((r) => (r.status === status ? undefined : `HTTP ${r.status}: ${r.body?.toString('utf8').slice(0, 300)}`));
}

interface Measured {
  load: LoadResult;
  cpu: CpuShare;
}

interface WriteLevel extends Measured {
  /** ms from the last create's reply until every watcher had seen every create so far. */
  deliveryMs: number;
}

interface KiteResults {
  idleRssMiB: number;
  /** Heap figures from the server's own /metrics at idle, when it serves them. */
  idleHeap?: string;
  peakRssMiB: number;
  writes: WriteLevel[];
  gets: Measured;
  list: { objects: number; ms: number; bytes: number };
  watch: { watchers: number; each: number; minSeen: number; failures: string[] };
}

async function benchKite(root: string, plan: Plan, cpuProfDir?: string): Promise<KiteResults> {
  const dir = tempDir('kite-bench-');
  const kubeconfig = join(dir, 'kubeconfig');
  const port = await freePort();
  const nodeFlags = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const server = new Child('kite server', process.execPath, [
    ...nodeFlags,
    join(root, 'bin', 'kite'),
    'server',
    '--store', 'sqlite',
    '--data-dir', join(dir, 'data'),
    '--bind-address', '127.0.0.1',
    '--port', String(port),
    '--write-kubeconfig', kubeconfig,
    '--disable-agent',
  ], [READY_TEXT]);
  const watchers: Watcher[] = [];
  try {
    const up = await until(() => Boolean(server.exited) || (server.seen.has(READY_TEXT) && existsSync(kubeconfig)), 60_000, 20);
    if (!up || server.exited) throw new Error(`kite server did not become ready (${server.exited ?? 'timeout'}):\n${server.tail}`);
    const creds = readKubeconfig(kubeconfig);
    process.stderr.write(`kite server ready at ${creds.server} (pid ${server.pid})\n`);

    const idleRssMiB = (await settledRssKiB(server)) / 1024;
    process.stderr.write(`idle RSS ${idleRssMiB.toFixed(1)} MiB\n`);

    const admin = httpsTarget(creds, 4);
    const idleHeap = await heapSummary(admin);
    for (const [c] of plan.levels) {
      const r = await send(admin, 'POST', '/api/v1/namespaces', Buffer.from(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"${NS_PREFIX}${c}"}}`));
      if (r.status !== 201) throw new Error(`create namespace ${NS_PREFIX}${c}: HTTP ${r.status} ${r.body?.toString('utf8')}`);
    }
    const list0 = await send(admin, 'GET', '/api/v1/configmaps?limit=1', undefined, true);
    if (list0.status !== 200) throw new Error(`list configmaps: HTTP ${list0.status} ${list0.body?.toString('utf8')}`);
    const rv = (JSON.parse(list0.body!.toString('utf8')) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;

    const watchTarget = { url: creds.server, agent: new https.Agent({ keepAlive: false, ca: creds.ca, cert: creds.cert, key: creds.key }) };
    for (let i = 0; i < plan.watchers; i++) watchers.push(new Watcher(NS_PREFIX));
    await Promise.all(watchers.map((w) => w.open(watchTarget, `/api/v1/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=3600`)));

    const writes: WriteLevel[] = [];
    let created = 0;
    let created64 = 0;
    for (const [c, count] of plan.levels) {
      const t = httpsTarget(creds, c);
      const path = `/api/v1/namespaces/${NS_PREFIX}${c}/configmaps`;
      const meter = cpuMeter(server);
      const load = await runLoad(c, count, plan.levelMaxMs, (i) => expect(201, send(t, 'POST', path, configMap(`cm-${i}`))));
      const cpu = meter(load.elapsedMs);
      const end = process.hrtime.bigint();
      t.agent.destroy();
      checkLoad(`creates at ${c} clients`, load, count);
      created += load.ok;
      created64 = load.ok;
      const delivered = await until(() => watchers.every((w) => w.counter.added >= created || w.failure), 30_000);
      check(delivered, `watch: not every watcher saw ${created} ADDED events within 30 s of the last create`);
      const last = watchers.reduce((m, w) => (w.counter.lastAt > m ? w.counter.lastAt : m), end);
      writes.push({ load, cpu, deliveryMs: Number(last - end) / 1e6 });
      process.stderr.write(`creates at ${c} clients: ${load.perSecond.toFixed(0)}/s p50 ${load.p50Ms.toFixed(2)} ms p99 ${load.p99Ms.toFixed(2)} ms\n`);
    }

    const getsTarget = httpsTarget(creds, 64);
    const nsLast = `${NS_PREFIX}${plan.levels[plan.levels.length - 1][0]}`;
    const meter = cpuMeter(server);
    const getLoad = await runLoad(64, plan.gets, plan.getMaxMs, (i) =>
      expect(200, send(getsTarget, 'GET', `/api/v1/namespaces/${nsLast}/configmaps/cm-${i % Math.max(1, created64)}`)),
    );
    const gets = { load: getLoad, cpu: meter(getLoad.elapsedMs) };
    check(getLoad.errors === 0, `GETs: ${getLoad.errors} failed (first: ${getLoad.firstError})`);
    process.stderr.write(`GETs at 64 clients: ${getLoad.perSecond.toFixed(0)}/s p50 ${getLoad.p50Ms.toFixed(2)} ms p99 ${getLoad.p99Ms.toFixed(2)} ms\n`);

    const listTimes: number[] = [];
    let listBytes = 0;
    let listed = 0;
    for (let i = 0; i < plan.lists; i++) {
      const s = process.hrtime.bigint();
      const r = await send(getsTarget, 'GET', `/api/v1/namespaces/${nsLast}/configmaps`, undefined, true);
      listTimes.push(Number(process.hrtime.bigint() - s) / 1e6);
      if (r.status !== 200) throw new Error(`LIST: HTTP ${r.status} ${r.body?.toString('utf8').slice(0, 300)}`);
      listBytes = r.bytes;
      listed = (JSON.parse(r.body!.toString('utf8')) as { items: unknown[] }).items.length;
    }
    getsTarget.agent.destroy();
    check(listed === created64, `LIST returned ${listed} objects, expected ${created64}`);
    listTimes.sort((a, b) => a - b);

    const failures = watchers.flatMap((w, i) => (w.failure ? [`watcher ${i}: ${w.failure}`] : []));
    for (const f of failures) problems.push(f);
    const minSeen = Math.min(...watchers.map((w) => w.counter.added));
    check(watchers.every((w) => w.counter.added === created), `watch: watchers saw ${minSeen}..${Math.max(...watchers.map((w) => w.counter.added))} ADDED events, expected ${created} each`);
    return {
      idleRssMiB,
      idleHeap,
      peakRssMiB: server.memKiB('VmHWM') / 1024,
      writes,
      gets,
      list: { objects: listed, ms: listTimes[Math.floor(listTimes.length / 2)], bytes: listBytes },
      watch: { watchers: watchers.length, each: created, minSeen, failures },
    };
  } finally {
    for (const w of watchers) w.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

/**
 * Resident memory once start-up work has died down: sampled every 500 ms until three
 * successive samples agree within 1% (at most 20 s), so a server still warming up is not
 * reported as idle.
 */
async function settledRssKiB(c: Child): Promise<number> {
  const samples: number[] = [];
  await until(() => {
    samples.push(c.memKiB('VmRSS'));
    const last = samples.slice(-3);
    return last.length === 3 && Math.max(...last) - Math.min(...last) <= Math.max(...last) * 0.01;
  }, 20_000, 500);
  return samples[samples.length - 1];
}

/** V8 heap and external memory from prom-client's default gauges in /metrics. */
async function heapSummary(t: Target): Promise<string | undefined> {
  const r = await send(t, 'GET', '/metrics', undefined, true).catch(() => undefined);
  if (r?.status !== 200 || !r.body) return undefined;
  const text = r.body.toString('utf8');
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1048576;
  const [used, total, external] = ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes'].map(gauge);
  return `V8 heap ${used.toFixed(1)} MiB used of ${total.toFixed(1)} MiB, external ${external.toFixed(1)} MiB`;
}

interface EtcdResults {
  version: string;
  puts: Measured[];
}

function findEtcd(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function benchEtcd(etcd: string, plan: Plan): Promise<EtcdResults> {
  const dir = tempDir('etcd-bench-');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = new Child('etcd', etcd, [
    '--name', 'kbench',
    '--data-dir', join(dir, 'data'),
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `kbench=${peer}`,
  ]);
  try {
    const admin: Target = { url: new URL(client), agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) };
    let healthy = false;
    const deadline = Date.now() + 30_000;
    while (!healthy && !child.exited && Date.now() < deadline) {
      const r = await send(admin, 'GET', '/health', undefined, true).catch(() => undefined);
      healthy = r?.status === 200 && r.body?.toString('utf8').includes('"true"') === true;
      if (!healthy) await new Promise((res) => setTimeout(res, 50));
    }
    if (!healthy) throw new Error(`etcd did not become healthy (${child.exited ?? 'timeout'}):\n${child.tail}`);
    const v = await send(admin, 'GET', '/version', undefined, true);
    const version = (JSON.parse(v.body!.toString('utf8')) as { etcdserver: string }).etcdserver;
    admin.agent.destroy();
    process.stderr.write(`etcd ${version} ready at ${client} (pid ${child.pid})\n`);

    const puts: Measured[] = [];
    for (const [c, count] of plan.levels) {
      const t: Target = { url: new URL(client), agent: new http.Agent({ keepAlive: true, maxSockets: c }) };
      const put = (i: number) => {
        const key = Buffer.from(`/registry/configmaps/${NS_PREFIX}${c}/cm-${i}`).toString('base64');
        return Buffer.from(`{"key":"${key}","value":"${configMap(`cm-${i}`).toString('base64')}"}`);
      };
      const meter = cpuMeter(child);
      const load = await runLoad(c, count, plan.levelMaxMs, (i) => expect(200, send(t, 'POST', '/v3/kv/put', put(i))));
      const cpu = meter(load.elapsedMs);
      t.agent.destroy();
      checkLoad(`etcd puts at ${c} clients`, load, count);
      puts.push({ load, cpu });
      process.stderr.write(`etcd puts at ${c} clients: ${load.perSecond.toFixed(0)}/s p50 ${load.p50Ms.toFixed(2)} ms p99 ${load.p99Ms.toFixed(2)} ms\n`);
    }
    return { version, puts };
  } finally {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const n2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const pct = (x: number) => `${Math.round(x * 100)}%`;

function report(plan: Plan, k: KiteResults, e: EtcdResults | undefined, etcdNote: string): { text: string; targets: string } {
  const cpu = (c: CpuShare) => `${pct(c.server)} | ${pct(c.bench)} | ${pct(c.other)}`;
  const L: string[] = [];
  L.push(`Kite: ~1 KiB ConfigMaps created by POST over keep-alive HTTPS with the admin client certificate, while ${k.watch.watchers} watchers follow all ConfigMaps.`);
  L.push('');
  L.push('| clients | creates | creates/s | p50 ms | p99 ms | server CPU | bench CPU | other CPU | watch lag ms |');
  L.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const w of k.writes) {
    L.push(`| ${w.load.concurrency} | ${n0(w.load.ok)} | ${n0(w.load.perSecond)} | ${n2(w.load.p50Ms)} | ${n2(w.load.p99Ms)} | ${cpu(w.cpu)} | ${n0(w.deliveryMs)} |`);
  }
  L.push('');
  if (e) {
    L.push(`etcd ${e.version}: the same bytes put through its JSON gateway (POST /v3/kv/put, keep-alive HTTP).`);
    L.push('');
    L.push('| clients | puts | puts/s | p50 ms | p99 ms | etcd CPU | bench CPU | other CPU | Kite ÷ etcd |');
    L.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    e.puts.forEach((p, i) => {
      const ratio = k.writes[i] ? `${n2(k.writes[i].load.perSecond / p.load.perSecond)}x` : 'n/a';
      L.push(`| ${p.load.concurrency} | ${n0(p.load.ok)} | ${n0(p.load.perSecond)} | ${n2(p.load.p50Ms)} | ${n2(p.load.p99Ms)} | ${cpu(p.cpu)} | ${ratio} |`);
    });
    L.push('');
  }
  L.push('| read | count | result | p50 ms | p99 ms | server CPU | bench CPU | other CPU |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  L.push(`| GET one ConfigMap, 64 clients | ${n0(k.gets.load.ok)} | ${n0(k.gets.load.perSecond)}/s | ${n2(k.gets.load.p50Ms)} | ${n2(k.gets.load.p99Ms)} | ${cpu(k.gets.cpu)} |`);
  L.push(`| LIST all ConfigMaps of a namespace (median of ${plan.lists}) | ${n0(k.list.objects)} objects | ${n0(k.list.ms)} ms, ${(k.list.bytes / 1048576).toFixed(1)} MiB | | | | | |`);
  L.push('');
  L.push(`Server memory: idle RSS ${k.idleRssMiB.toFixed(1)} MiB (settled, before load${k.idleHeap ? `; ${k.idleHeap}` : ''}); peak RSS ${k.peakRssMiB.toFixed(1)} MiB (VmHWM at the end).`);
  L.push(`Watch delivery: ${k.watch.watchers} watchers, each expected ${n0(k.watch.each)} ADDED events, fewest seen ${n0(k.watch.minSeen)}${k.watch.failures.length ? `; ${k.watch.failures.join('; ')}` : ''}; "watch lag" is the time from the last create's reply to the last watcher's event.`);
  L.push('CPU columns are shares of one core during the phase: the server under test, this load generator, and all other processes on the machine (noise).');
  if (etcdNote) L.push(etcdNote);

  const top = k.writes[k.writes.length - 1].load;
  const topEtcd = e?.puts[e.puts.length - 1]?.load;
  const idleMB = (k.idleRssMiB * 1048576) / 1e6;
  const T: string[] = ['| target | measured | result |', '|---|---:|---|'];
  const row = (name: string, measured: string, ok: boolean | undefined) => T.push(`| ${name} | ${measured} | ${ok === undefined ? 'SKIP' : ok ? 'PASS' : 'FAIL'} |`);
  row(`creates/s at 64 clients ≥ ${n0(TARGET.createsPerSec)}`, n0(top.perSecond), top.perSecond >= TARGET.createsPerSec);
  row(`create p99 at 64 clients ≤ ${TARGET.createP99Ms} ms`, `${n2(top.p99Ms)} ms`, top.p99Ms <= TARGET.createP99Ms);
  const ratio = topEtcd ? top.perSecond / topEtcd.perSecond : NaN;
  row(`creates/s ≥ ${TARGET.etcdRatio}x etcd puts/s at 64 clients`, topEtcd ? `${n2(ratio)}x` : 'no etcd', topEtcd ? ratio >= TARGET.etcdRatio : undefined);
  row(`GETs/s at 64 clients ≥ ${n0(TARGET.getsPerSec)}`, n0(k.gets.load.perSecond), k.gets.load.perSecond >= TARGET.getsPerSec);
  row(`idle RSS ≤ ${TARGET.idleRssMB} MB`, `${idleMB.toFixed(1)} MB (${k.idleRssMiB.toFixed(1)} MiB)`, idleMB <= TARGET.idleRssMB);
  return { text: L.join('\n'), targets: T.join('\n') };
}

function machine(etcdVersion: string | undefined): string {
  const cpus = os.cpus();
  return [
    `${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? 'unknown'})`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `Linux ${os.release()}`,
    `Node ${process.version}`,
    etcdVersion ? `etcd ${etcdVersion}` : 'no etcd',
  ].join(', ');
}

function writeSection(root: string, section: string): void {
  const file = join(root, 'BENCHMARKS.md');
  if (!existsSync(file)) {
    appendFileSync(file, '# Benchmarks\n\nResults of the programs in `bench/`, newest last. Each section names the machine and the command that produced it.\n');
  }
  appendFileSync(file, `\n${section}\n`);
  process.stderr.write(`appended results to ${file}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, write: { type: 'boolean', default: false }, 'server-cpu-prof': { type: 'string' } },
    strict: true,
  });
  const plan = values.quick ? QUICK : FULL;
  const root = repoRoot();
  const profDir = values['server-cpu-prof'] ? resolve(values['server-cpu-prof']) : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const command = `node ${relative(root, process.argv[1])}${process.argv.length > 2 ? ' ' + process.argv.slice(2).join(' ') : ''}`;

  const kite = await benchKite(root, plan, profDir);
  const etcd = findEtcd();
  const etcdResults = etcd ? await benchEtcd(etcd, plan) : undefined;
  const etcdNote = etcd ? '' : 'etcd was not found on PATH (install it with `node scripts/ensure-etcd.mjs`); the comparison was skipped.';
  const { text, targets } = report(plan, kite, etcdResults, etcdNote);

  const when = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const out = [
    `## ${when}: API server${values.quick ? ' (quick smoke run, not a measurement)' : ''}`,
    '',
    `- Machine: ${machine(etcdResults?.version)}`,
    `- Command: \`${command}\``,
    `- Server: \`kite server --store sqlite --disable-agent\` on 127.0.0.1, temporary data dir; load generator in one Node process on the same machine.`,
    '',
    text,
    '',
    targets,
    ...(problems.length ? ['', 'Harness problems:', ...problems.map((p) => `- ${p}`)] : []),
  ].join('\n');
  process.stdout.write(out + '\n');
  if (values.write) writeSection(root, out);
  return problems.length ? 1 : 0;
}

process.on('SIGINT', () => {
  killAll();
  removeTempDirs();
  process.exit(130);
});

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    process.stderr.write(`bench/api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    killAll();
    removeTempDirs();
  });
