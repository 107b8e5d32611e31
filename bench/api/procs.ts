// Child processes for the benchmark (the Kite server, etcd): start, watch output, read
// their memory and CPU from /proc, stop by PID. Also free loopback ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** A free TCP port on 127.0.0.1 (the OS picks it; it is released before return). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const TAIL_BYTES = 8192;

export class Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Last bytes of stdout+stderr, for error reports. */
  tail = '';
  exited?: string;
  /** Which of the `watchFor` texts have appeared in the output so far. */
  readonly seen = new Set<string>();
  private readonly exit: Promise<void>;

  constructor(readonly name: string, cmd: string, args: string[], watchFor: string[] = []) {
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.proc.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
    this.pid = this.proc.pid;
    running.add(this);
    const keep = (c: Buffer) => {
      this.tail = (this.tail + c.toString('utf8')).slice(-TAIL_BYTES);
      for (const w of watchFor) if (this.tail.includes(w)) this.seen.add(w);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    this.exit = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = signal ? `signal ${signal}` : `code ${code}`;
        running.delete(this);
        resolve();
      });
      this.proc.on('error', (e) => {
        this.exited = e.message;
        running.delete(this);
        resolve();
      });
    });
  }

  /** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    process.kill(this.pid, 'SIGTERM');
    const timer = setTimeout(() => this.exited || process.kill(this.pid, 'SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  /** A /proc/PID/status field in KiB (VmRSS: resident now; VmHWM: peak resident). */
  memKiB(field: 'VmRSS' | 'VmHWM'): number {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!m) throw new Error(`${this.name}: no ${field} in /proc/${this.pid}/status`);
    return Number(m[1]);
  }

  /** User+system CPU seconds the process has used so far. */
  cpuSeconds(): number {
    return cpuSecondsOf(this.pid);
  }
}

// /proc times are in clock ticks of USER_HZ, which Linux fixes at 100 for user space.
const USER_HZ = 100;

/** User+system CPU seconds a process has used so far (utime and stime in /proc/PID/stat). */
export function cpuSecondsOf(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may itself hold spaces.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / USER_HZ;
}

/** CPU seconds all processes on the machine have spent busy so far (all cores summed). */
export function machineBusySeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq + steal) / USER_HZ;
}

const running = new Set<Child>();

/** Kills every child still running, synchronously (for SIGINT and crashes). */
export function killAll(): void {
  for (const c of running) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Shares of one core used during a phase: by the process under test, by this load generator, by everything else. */
export interface CpuShare {
  server: number;
  bench: number;
  other: number;
}

/**
 * Starts measuring CPU; the returned function gives the shares since then. `others` are
 * further children of this benchmark (an idle second server), counted neither as the
 * server nor as noise.
 */
export function cpuMeter(server: Child, others: Child[] = []): (elapsedMs: number) => CpuShare {
  const live = () => others.filter((c) => !c.exited);
  const sum = (cs: Child[]) => cs.reduce((s, c) => s + c.cpuSeconds(), 0);
  const s0 = server.cpuSeconds();
  const o0 = sum(live());
  const b0 = cpuSecondsOf('self');
  const m0 = machineBusySeconds();
  return (elapsedMs) => {
    const secs = elapsedMs / 1000;
    const srv = (server.cpuSeconds() - s0) / secs;
    const bench = (cpuSecondsOf('self') - b0) / secs;
    const mine = (sum(live()) - o0) / secs;
    return { server: srv, bench, other: Math.max(0, (machineBusySeconds() - m0) / secs - srv - bench - mine) };
  };
}

/**
 * Waits, in 500 ms windows, until processes other than ours use less than `maxOther`
 * of a core, for at most `maxMs`. Benchmarks on a shared machine are only comparable
 * when the rest of it is quiet.
 */
export async function waitQuiet(ours: Child[], maxOther: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const t0 = Date.now();
    const meter = cpuMeter(ours[0], ours.slice(1));
    await new Promise((r) => setTimeout(r, 500));
    if (meter(Date.now() - t0).other < maxOther || Date.now() >= deadline) return;
  }
}
