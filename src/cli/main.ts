// The `kite` command line.
import { Command, InvalidArgumentError, Option } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../util/duration.js';
import { levelForVerbosity, setLogLevel } from '../util/log.js';

function increase(_: string, prev: number): number {
  return prev + 1;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('kite').description('A Kubernetes-compatible cluster').showHelpAfterError();
  program.option('-v, --verbose', 'more log output (repeat for more)', increase, 0);
  program.hook('preAction', (cmd) => {
    const v = cmd.opts<{ verbose?: number }>().verbose ?? 0;
    if (v) setLogLevel(levelForVerbosity(v));
  });

  program
    .command('server')
    .description('run the control plane: API server and store (+ controllers, scheduler, agent)')
    .option('--data-dir <dir>', 'state directory', process.getuid?.() === 0 ? '/var/lib/kite/server' : join(homedir(), '.local/share/kite/server'))
    .option('--bind-address <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'HTTPS port', (v) => parsePort(v), 6443)
    .option('--write-kubeconfig <file>', 'write an admin kubeconfig here once the API is ready')
    .addOption(new Option('--store <kind>', 'storage backend').choices(['sqlite', 'memory']).default('sqlite'))
    .option('--disable-agent', 'do not run a node agent in this process', false)
    .option('--cluster-cidr <cidr>', 'pod network; each node gets a /24 from it', '10.42.0.0/16')
    .option('--service-cidr <cidr>', 'service cluster IP range', '10.43.0.0/16')
    .option('--service-node-port-range <range>', 'port range for NodePort services', parsePortRange, '30000-32767')
    .option('--node-monitor-grace-period <duration>', 'how long a node may miss heartbeats before it is NotReady', parseDurationArg, 40_000)
    .option('--node-monitor-period <duration>', 'how often the node lifecycle controller checks node health', parseDurationArg, 5_000)
    .option('--terminated-pod-gc-threshold <n>', 'terminated pods kept before the pod garbage collector deletes the oldest', (v) => parseCount(v, '--terminated-pod-gc-threshold'), 12_500)
    .action(async (o: {
      dataDir: string; bindAddress: string; port: number; writeKubeconfig?: string; store: 'sqlite' | 'memory'; disableAgent: boolean;
      clusterCidr: string; serviceCidr: string; serviceNodePortRange: string; nodeMonitorGracePeriod: number; nodeMonitorPeriod: number; terminatedPodGcThreshold: number;
    }) => {
      const ac = new AbortController();
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`kite: ${sig} received, shutting down\n`);
        ac.abort();
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      const started = performance.now();
      const controllerOptions = {
        clusterCidr: o.clusterCidr, serviceClusterIpRange: o.serviceCidr, serviceNodePortRange: o.serviceNodePortRange,
        nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriod, nodeMonitorPeriodMs: o.nodeMonitorPeriod, terminatedPodGcThreshold: o.terminatedPodGcThreshold,
      };
      const { runServer } = await import('../cluster/server.js');
      await runServer({ ...o, controllerOptions, progress: (l) => process.stderr.write(`  ✓ ${l}\n`) }, ac.signal, (s) => {
        process.stderr.write(`Kite API server ready at ${s.url} in ${Math.round(performance.now() - started)}ms\n`);
        process.stderr.write(`  kubectl --kubeconfig ${s.kubeconfigPath} get namespaces\n`);
      });
    });

  program
    .command('simulate')
    .description('register kwok-like simulated nodes (no containers) with a running cluster, for scale tests')
    .requiredOption('--kubeconfig <file>', 'kubeconfig of the cluster to join')
    .requiredOption('--nodes <n>', 'number of nodes to simulate', (v) => parseCount(v, '--nodes'))
    .option('--name-prefix <prefix>', 'node i is named <prefix><i>', 'kite-sim-')
    .option('--cpu <quantity>', 'cpu capacity of each node', '8')
    .option('--memory <quantity>', 'memory capacity of each node', '32Gi')
    .option('--pods <n>', 'pod capacity of each node', (v) => parseCount(v, '--pods'), 110)
    .option('--pod-complete-after <duration>', 'pods with restartPolicy Never/OnFailure succeed this long after starting (e.g. 5s, 1m, 500ms)', parseDurationArg)
    .action(async (o: { kubeconfig: string; nodes: number; namePrefix: string; cpu: string; memory: string; pods: number; podCompleteAfter?: number }) => {
      const ac = new AbortController();
      const stop = (sig: string) => {
        if (ac.signal.aborted) return;
        process.stderr.write(`kite: ${sig} received, stopping the simulator (nodes stay registered)\n`);
        ac.abort();
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      // Each command loads only its own code: the server never loads the simulator.
      const { runSimulate } = await import('../cluster/simulate.js');
      await runSimulate({ ...o, podCompleteAfterMs: o.podCompleteAfter, progress: (l) => process.stderr.write(`${l}\n`) }, ac.signal, (s) => {
        process.stderr.write(`simulating ${s.nodes} nodes; Ctrl-C to stop\n`);
      });
    });

  program
    .command('version')
    .description('print the version')
    .action(async () => {
      const { KUBE_VERSION } = await import('../apiserver/server.js');
      process.stdout.write(`kite 0.1.0 (Kubernetes ${KUBE_VERSION.gitVersion})\n`);
    });

  await program.parseAsync(argv, { from: 'user' });
}

function parseCount(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

function parseDurationArg(v: string): number {
  try {
    return parseDuration(v);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

/** "30000-32767": both ends inclusive, within 1..65535. */
function parsePortRange(v: string): string {
  const m = /^(\d+)-(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]) || Number(m[2]) > 65535) {
    throw new InvalidArgumentError(`must be a port range like 30000-32767, got ${JSON.stringify(v)}`);
  }
  return v;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port: ${v}`);
  return n;
}

