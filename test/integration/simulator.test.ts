// `kite simulate` against a real in-process API server (memory store, port 0), driven
// with the real kubectl: simulated nodes show up Ready, a pod bound to one runs and gets
// an address, `kubectl delete pod` completes, and stopping the simulator leaves the nodes.
// Also a scale smoke test: 500 nodes registered within a bound (the time is printed).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { runServer, type RunningServer } from '../../src/cluster/server.js';
import { runSimulate } from '../../src/cluster/simulate.js';
import type { SimulatorStats } from '../../src/simulator/index.js';

const exec = promisify(execFile);

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kite simulate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-simulate-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const serverAc = new AbortController();
  let serving: Promise<void>;

  const kubectl = async (...args: string[]): Promise<string> =>
    (await exec('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 60_000 })).stdout;
  const kubectlIn = (input: string, ...args: string[]): Promise<string> => new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    child.stdin!.end(input);
  });

  /** Starts a simulator; resolves once its nodes are registered. */
  async function simulate(nodes: number, namePrefix: string, lines: string[] = []): Promise<{ stop(): Promise<void>; stats: SimulatorStats; ms: number }> {
    const ac = new AbortController();
    const t0 = performance.now();
    let running!: Promise<void>;
    const stats = await new Promise<SimulatorStats>((resolve, reject) => {
      running = runSimulate({ kubeconfig, nodes, namePrefix, cpu: '8', memory: '32Gi', pods: 110, progress: (l) => lines.push(l) }, ac.signal, resolve);
      running.then(() => reject(new Error('simulator stopped before registering')), reject);
    });
    return { stats, ms: performance.now() - t0, stop: async () => { ac.abort(); await running; } };
  }

  before(async () => {
    await new Promise<RunningServer>((resolve, reject) => {
      serving = runServer({ dataDir: join(dir, 'data'), bindAddress: '127.0.0.1', port: 0, writeKubeconfig: kubeconfig, store: 'memory', disableAgent: true }, serverAc.signal, resolve);
      serving.catch(reject);
    });
  });

  after(async () => {
    serverAc.abort();
    await serving;
    rmSync(dir, { recursive: true, force: true });
  });

  test('nodes, a pod lifecycle and stop, seen through kubectl', async () => {
    const lines: string[] = [];
    const sim = await simulate(3, 'kite-sim-', lines);
    assert.equal(sim.stats.registered, 3);
    assert.match(lines.join('\n'), /registered 3 nodes in \d+\.\ds/);
    try {
      const rows = (await kubectl('get', 'nodes', '--no-headers')).trim().split('\n').map((l) => l.trim().split(/\s+/));
      assert.deepEqual(rows.map((r) => r[0]), ['kite-sim-0', 'kite-sim-1', 'kite-sim-2']);
      for (const r of rows) {
        assert.equal(r[1], 'Ready');
        assert.equal(r[2], '<none>');
        assert.equal(r[4], 'v1.32.0-kite');
      }
      const wide = await kubectl('get', 'node', 'kite-sim-1', '-o', 'wide', '--no-headers');
      assert.match(wide, /198\.18\.0\.2\s+<none>\s+Kite simulated node\s+6\.1\.0-kite-sim\s+kite-sim:\/\/0\.1/);
      await until(async () => ((await kubectl('get', 'leases', '-n', 'kube-node-lease', '--no-headers')).match(/^kite-sim-/gm)?.length === 3 ? true : undefined), 10_000, 'node leases');

      await kubectlIn(JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' },
        spec: { nodeName: 'kite-sim-1', containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
      }), 'apply', '-f', '-');
      const [phase, ip, hostIP] = await until(async () => {
        const out = (await kubectl('get', 'pod', 'web', '-o', 'jsonpath={.status.phase} {.status.podIP} {.status.hostIP}')).split(' ');
        return out[0] === 'Running' ? out : undefined;
      }, 10_000, 'pod Running');
      assert.equal(phase, 'Running');
      assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
      assert.equal(hostIP, '198.18.0.2');
      const row = (await kubectl('get', 'pod', 'web', '-o', 'wide', '--no-headers')).trim().split(/\s+/);
      assert.deepEqual([row[1], row[2], row[3], row[5], row[6]], ['1/1', 'Running', '0', ip, 'kite-sim-1']);

      await kubectl('delete', 'pod', 'web', '--timeout=30s');
      assert.match(await exec('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'pod', 'web']).then(() => 'found', (e: { stderr: string }) => e.stderr), /NotFound|not found/);
    } finally {
      await sim.stop();
    }
    assert.match(lines.at(-1)!, /stopped; 3 nodes stay registered/);
    const names = (await kubectl('get', 'nodes', '-o', 'name')).trim().split('\n');
    assert.deepEqual(names, ['node/kite-sim-0', 'node/kite-sim-1', 'node/kite-sim-2']);
  });

  test('scale smoke: 500 nodes register within a bound', async () => {
    const sim = await simulate(500, 'scale-');
    try {
      process.stdout.write(`# simulator: registered 500 nodes in ${(sim.ms / 1000).toFixed(2)}s\n`);
      assert.equal(sim.stats.registered, 500);
      assert.ok(sim.ms < 60_000, `registration took ${Math.round(sim.ms)}ms`);
      const count = (await kubectl('get', 'nodes', '-l', 'kite.dev/simulated=true', '-o', 'name')).trim().split('\n').filter((l) => l.startsWith('node/scale-')).length;
      assert.equal(count, 500);
    } finally {
      await sim.stop();
    }
  });
});
