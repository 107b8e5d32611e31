// `kite server`: store + API server (+ controllers and scheduler as they arrive), PKI,
// bootstrap objects and the admin kubeconfig. Start-up is ordered by readiness, not sleeps.
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { builtinResources, inDiscoveryOrder } from '../api/resources/index.js';
import type { KObject } from '../api/types.js';
import { StatusError } from '../machinery/errors.js';
import { Authenticator, staticTokens } from '../apiserver/filters/authn.js';
import { CrdController } from '../apiserver/crd/index.js';
import { createHooks } from '../apiserver/hooks.js';
import { ResourceTable } from '../apiserver/resources.js';
import { ServiceAccountTokens } from '../apiserver/satoken.js';
import { ApiServer } from '../apiserver/server.js';
import { OpenAPIService } from '../apiserver/openapi/index.js';
import { serveOpenAPI } from '../apiserver/openapi/serve.js';
import { allowAll, namespaceLifecycle, reviewResources, specialHandlers } from '../apiserver/special.js';
import type { WriteContext } from '../apiserver/registry/store.js';
import { openStorage } from '../storage/index.js';
import type { Storage } from '../storage/types.js';
import { logger } from '../util/log.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ensurePki } from './pki.js';
import { inProcessClient, runControllers } from './controllers.js';
import { candidateIdentity, runWhileLeading } from './leader.js';
import { runScheduler } from './scheduler.js';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from '../controllers/index.js';
import { admissionChain, clusterAdmission } from '../apiserver/admission/index.js';

const log = logger('server');

export interface ServerOptions {
  dataDir: string;
  bindAddress: string;
  port: number;
  writeKubeconfig?: string;
  store: 'sqlite' | 'memory';
  disableAgent: boolean;
  controllerOptions?: Partial<ControllerOptions>;
  /** Controllers not to run (by name, as in src/controllers/index.ts). */
  disabledControllers?: string[];
  /** Called with progress lines ("step ... 12ms") for the CLI to print. */
  progress?: (line: string) => void;
}

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/kite/server' : join(homedir(), '.local/share/kite/server');
}

export interface RunningServer {
  api: ApiServer;
  url: string;
  kubeconfigPath: string;
  caCert: string;
}

const SYSTEM: WriteContext = { user: { username: 'system:apiserver', groups: ['system:masters'] }, dryRun: false, warnings: [] };

/** Runs until the signal aborts. `onReady` fires once the API serves and the kubeconfig is written. */
export async function runServer(o: ServerOptions, signal: AbortSignal, onReady?: (s: RunningServer) => void): Promise<void> {
  // Every informer, watch and component listens on this one signal: no listener limit.
  setMaxListeners(0, signal);
  const t0 = performance.now();
  let tStep = t0;
  const step = (what: string) => {
    const now = performance.now();
    o.progress?.(`${what} (${Math.round(now - tStep)}ms)`);
    tStep = now;
  };
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const storage: Storage = await openStorage(o.store, { path: join(o.dataDir, 'db', 'state.db') });
  step(`store ready: ${o.store}`);
  const advertised = o.bindAddress === '0.0.0.0' || o.bindAddress === '::' ? '127.0.0.1' : o.bindAddress;
  const ips = [...new Set(['127.0.0.1', advertised, '10.43.0.1'].filter((a) => /^[\d.]+$/.test(a) || a.includes(':')))];
  const pki = await ensurePki(join(o.dataDir, 'pki'), {
    dnsNames: ['localhost', hostname(), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips,
  });
  step('certificates ready');

  const table = new ResourceTable(inDiscoveryOrder([...builtinResources(), ...reviewResources]));
  const authn = new Authenticator();
  const openapi = new OpenAPIService(() => table.all().map((r) => r.strategy));
  table.onChange(() => openapi.invalidate());
  let api!: ApiServer;
  const tokens = new ServiceAccountTokens(pki.serviceAccount.privateKey, (ns, name) => {
    const sas = api.storeFor('', 'serviceaccounts');
    return sas?.cache.get(sas.key(ns, name))?.obj.metadata.uid;
  });
  authn.addTokenAuthenticator((t) => tokens.authenticate(t));
  const adminToken = await ensureAdminToken(pki.dir);
  authn.addTokenAuthenticator(staticTokens({ [adminToken]: { username: 'kite-admin', groups: ['system:masters'] } }));
  const authenticateToken = async (t: string) => tokens.authenticate(t) ?? (t === adminToken ? { username: 'kite-admin', groups: ['system:masters', 'system:authenticated'] } : undefined);

  // Custom resource schemas come from the CRD controller, which needs the running server.
  let crds: CrdController | undefined;
  api = new ApiServer({
    storage,
    resources: table,
    authenticator: authn,
    hooks: createHooks((r) => crds?.schemaFor(r)),
    tls: { key: pki.serving.key, cert: pki.serving.cert, ca: pki.ca.cert },
    bindAddress: o.bindAddress,
    port: o.port,
    admit: admissionChain([namespaceLifecycle(() => api), ...clusterAdmission(() => api, {
      serviceCidr: o.controllerOptions?.serviceClusterIpRange ?? DEFAULT_CONTROLLER_OPTIONS.serviceClusterIpRange,
      nodePortRange: o.controllerOptions?.serviceNodePortRange ?? DEFAULT_CONTROLLER_OPTIONS.serviceNodePortRange,
    })]),
    special: specialHandlers({ authorize: allowAll, tokens, authenticateToken, now: Date.now }),
    nonResource: (req, res, url) => serveOpenAPI(openapi, req, res, url),
  });
  const serving = api.start(signal);
  await Promise.race([api.ready, serving]);
  step(`API serving on https://${advertised}:${api.port}`);
  await bootstrap(api);
  step('bootstrap objects ready');
  const identity = candidateIdentity(o.dataDir);
  const components = [
    runWhileLeading(inProcessClient(api, 'system:kube-controller-manager'), 'kube-controller-manager', identity, signal,
      (leading) => runControllers(api, leading, { rootCaCert: pki.ca.cert, ...o.controllerOptions }, o.disabledControllers ?? [])),
    runWhileLeading(inProcessClient(api, 'system:kube-scheduler'), 'kube-scheduler', identity, signal, (leading) => runScheduler(api, leading)),
  ];
  step('controllers started');
  crds = new CrdController({ api, openapi });
  const crdsRunning = crds.start(signal);
  await Promise.race([crds.ready, serving]);
  step('custom resource definitions served');

  const url = `https://${advertised.includes(':') ? `[${advertised}]` : advertised}:${api.port}`;
  const kubeconfigPath = o.writeKubeconfig ?? join(o.dataDir, 'kubeconfig.yaml');
  writeKubeconfig(kubeconfigPath, { server: url, caCert: pki.ca.cert, clientCert: pki.admin.cert, clientKey: pki.admin.key });
  step(`kubeconfig written to ${kubeconfigPath}`);
  log.info({ url, ms: Math.round(performance.now() - t0) }, 'server ready');
  onReady?.({ api, url, kubeconfigPath, caCert: pki.ca.cert });
  const compactor = startCompactor(storage);
  try {
    await serving;
    await Promise.allSettled(components);
  } finally {
    clearInterval(compactor);
    await Promise.allSettled([crdsRunning]);
    await storage.close();
  }
}

/** Revisions kept behind the head; older history is compacted every five minutes, as upstream. */
const KEEP_REVISIONS = 50_000;

function startCompactor(storage: Storage): NodeJS.Timeout {
  const t = setInterval(() => {
    void (async () => {
      const target = (await storage.currentRevision()) - KEEP_REVISIONS;
      if (target > (await storage.compactedRevision())) await storage.compact(target);
    })().catch((err) => log.warn({ err: String(err) }, 'compaction failed'));
  }, 5 * 60_000);
  t.unref();
  return t;
}

async function ensureAdminToken(pkiDir: string): Promise<string> {
  const { existsSync, readFileSync } = await import('node:fs');
  const { writeFileAtomic } = await import('../util/fs.js');
  const p = join(pkiDir, 'admin.token');
  if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  const t = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('hex');
  writeFileAtomic(p, t + '\n', 0o600);
  return t;
}

/** Objects every cluster has: system namespaces and the `kubernetes` service. */
async function bootstrap(api: ApiServer): Promise<void> {
  const ensure = async (group: string, plural: string, obj: KObject) => {
    const store = api.storeFor(group, plural);
    if (!store) return;
    try {
      await store.create(obj.metadata.namespace, obj, { ...SYSTEM, warnings: [] });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
    }
  };
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await ensure('', 'namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } } });
  }
  await ensure('', 'services', {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: api.port }], sessionAffinity: 'None' },
  });
  for (const [name, value] of [['system-cluster-critical', 2000000000], ['system-node-critical', 2000001000]] as const) {
    await ensure('scheduling.k8s.io', 'priorityclasses', {
      apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value,
      description: name === 'system-node-critical' ? 'Used for system critical pods that must not be moved from their current node.' : 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
    });
  }
}
