// Scheduling-cycle micro-benchmark (no API): the default profile over an in-memory cache
// of N nodes with pods already placed; reports cycles per second (filter + score + assume).
// Usage: npx tsx bench/scheduler/cycle.ts [nodes] [placed] [pods]
import { Framework } from '../../src/scheduler/framework.js';
import { defaultProfile } from '../../src/scheduler/profile.js';
import { makeCache, podInfo } from '../../src/scheduler/testing.js';
import { CycleState } from '../../src/scheduler/types.js';

const [nodes = 5000, placed = 1000, pods = 10_000] = process.argv.slice(2).map(Number);
const spec: Record<string, { cpu: string; memory: string; labels: Record<string, string> }> = {};
for (let i = 0; i < nodes; i++) spec[`node-${i}`] = { cpu: '8', memory: '32Gi', labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` } };
const cache = makeCache(spec);
for (let i = 0; i < placed; i++) cache.setPod(podInfo(`placed-${i}`, { cpu: '100m', memory: '128Mi' }), `node-${i % nodes}`);
const fw = new Framework(defaultProfile({ binder: { name: 'none', bind: async () => undefined } }));
const infos = Array.from({ length: pods }, (_, i) => podInfo(`p-${i}`, { cpu: '100m', memory: '128Mi', labels: { app: 'bench' } }));
const t0 = performance.now();
for (const p of infos) cache.assumePod(p, fw.schedule(new CycleState(), p, cache).nodeName);
const s = (performance.now() - t0) / 1000;
console.log(`${nodes} nodes, ${placed} placed: ${pods} cycles in ${s.toFixed(2)}s = ${Math.round(pods / s)} pods/s`);
