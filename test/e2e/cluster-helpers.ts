// Harness for the cluster acceptance test: the built `bin/kite server` (controllers and
// scheduler, no agent) and `bin/kite simulate` (the kubelet of N simulated nodes), each
// its own child process stopped by PID, driven by the real kubectl.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KITE_BIN, KiteServer, killChild, ROOT, waitFor, withDeadline } from './helpers.js';

/** A list as kubectl prints it with `-o json`: a parsing boundary, typed by the caller. */
export interface List<T> {
  items: T[];
}

/** Starts `bin/kite server --disable-agent` with extra flags; resolves once it is ready. */
export async function startClusterServer(extraArgs: string[], readyTimeoutMs = 30_000): Promise<KiteServer> {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error(`${ROOT}/dist is missing: run npm run build`);
  const dir = mkdtempSync(join(tmpdir(), 'kite-e2e-cluster-'));
  const proc = spawn(
    KITE_BIN,
    ['server', '--data-dir', join(dir, 'data'), '--port', '0', '--write-kubeconfig', join(dir, 'kubeconfig'), '--store', 'memory', '--disable-agent', ...extraArgs],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = new KiteServer(proc, dir);
  try {
    await waitFor(() => {
      if (!server.alive) throw new Error(`kite server exited before ready:\n${server.stderr}`);
      const m = /ready at (https:\/\/\S+)/.exec(server.stderr);
      return m ? (server.url = m[1]) : undefined;
    }, readyTimeoutMs, 'kite server to print its ready line');
  } catch (err) {
    await server.cleanup();
    throw err;
  }
  return server;
}

/** A running `bin/kite simulate`. */
export class Simulator {
  stderr = '';
  private readonly exited: Promise<void>;

  constructor(readonly proc: ChildProcess) {
    this.exited = new Promise((r) => proc.once('exit', () => r()));
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    proc.stdout?.resume();
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM by PID and wait for the exit. */
  stop(): Promise<void> {
    return killChild(this.proc, 'SIGTERM');
  }

  /** Teardown: never throws; SIGKILL if SIGTERM was not enough. */
  async cleanup(): Promise<void> {
    try {
      await this.stop();
    } catch {
      this.proc.kill('SIGKILL');
      await withDeadline(this.exited, 5_000, `simulator pid ${this.proc.pid} to die`).catch(() => undefined);
    }
  }
}

/** Starts `bin/kite simulate` against the server and resolves once all nodes are registered. */
export async function startSimulator(s: KiteServer, args: string[], readyTimeoutMs = 30_000): Promise<Simulator> {
  const sim = new Simulator(spawn(KITE_BIN, ['simulate', '--kubeconfig', s.kubeconfig, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    await waitFor(() => {
      if (!sim.alive) throw new Error(`kite simulate exited before registering its nodes:\n${sim.stderr}`);
      return /simulating \d+ nodes/.test(sim.stderr);
    }, readyTimeoutMs, 'kite simulate to register its nodes');
  } catch (err) {
    await sim.cleanup();
    throw err;
  }
  return sim;
}

