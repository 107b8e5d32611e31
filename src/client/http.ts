// HttpTransport: a RestClient over node:http(s) configured from a kubeconfig.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { BaseRestClient, type TransportRequest, type TransportResponse } from './transport.js';

export interface KubeconfigCluster {
  server: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
}
export interface KubeconfigUser {
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  token?: string;
  tokenFile?: string;
}
export interface KubeconfigContext { cluster: string; user: string; namespace?: string }
export interface Kubeconfig {
  clusters?: { name: string; cluster: KubeconfigCluster }[];
  users?: { name: string; user: KubeconfigUser }[];
  contexts?: { name: string; context: KubeconfigContext }[];
  'current-context'?: string;
}

/** Everything needed to reach one API server as one user. */
export interface ConnectionConfig {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  /** Read per request (cached for a minute) so rotated tokens are picked up. */
  tokenFile?: string;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
  /** The context's namespace, "default" when unset. */
  namespace: string;
}

const FILE_KEYS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'] as const;

/** Reads a kubeconfig; relative file references are resolved against its directory, as kubectl does. */
export function loadKubeconfig(path: string): Kubeconfig {
  const cfg = (parse(readFileSync(path, 'utf8')) ?? {}) as Kubeconfig;
  const base = dirname(resolve(path));
  for (const entry of [...(cfg.clusters ?? []).map((c) => c.cluster), ...(cfg.users ?? []).map((u) => u.user)]) {
    const rec = entry as Record<string, unknown>;
    for (const k of FILE_KEYS) {
      const v = rec?.[k];
      if (typeof v === 'string' && v && !isAbsolute(v)) rec[k] = resolve(base, v);
    }
  }
  return cfg;
}

/** Picks a context (the current one by default) and loads its credentials. */
export function connectionFromKubeconfig(cfg: Kubeconfig, contextName?: string): ConnectionConfig {
  const name = contextName ?? cfg['current-context'];
  const ctx = cfg.contexts?.find((c) => c.name === name)?.context;
  if (!ctx) throw new Error(`kubeconfig: context ${JSON.stringify(name ?? '')} not found`);
  const cluster = cfg.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig: cluster ${JSON.stringify(ctx.cluster)} not found or has no server`);
  const user = cfg.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const data = (inline: string | undefined, file: string | undefined) =>
    inline ? Buffer.from(inline, 'base64') : file ? readFileSync(file) : undefined;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: data(user['client-certificate-data'], user['client-certificate']),
    key: data(user['client-key-data'], user['client-key']),
    token: user.token,
    tokenFile: user.tokenFile,
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'],
    tlsServerName: cluster['tls-server-name'],
    namespace: ctx.namespace || 'default',
  };
}

export interface HttpTransportOptions {
  userAgent?: string;
  maxSockets?: number;
}

export class HttpTransport extends BaseRestClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private fileToken?: { value: string; readAt: number };

  constructor(readonly config: ConnectionConfig, opts: HttpTransportOptions = {}) {
    super();
    this.base = new URL(config.server);
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 64 };
    this.agent = this.base.protocol === 'https:'
      ? new https.Agent({
        ...agentOpts, ca: config.ca, cert: config.cert, key: config.key,
        rejectUnauthorized: !config.insecureSkipTLSVerify, servername: config.tlsServerName,
      })
      : new http.Agent(agentOpts);
    this.defaultHeaders = { 'User-Agent': opts.userAgent ?? 'kite-client' };
  }

  /** From a kubeconfig path or object; the context defaults to current-context. */
  static fromKubeconfig(source: string | Kubeconfig, context?: string, opts?: HttpTransportOptions): HttpTransport {
    return new HttpTransport(connectionFromKubeconfig(typeof source === 'string' ? loadKubeconfig(source) : source, context), opts);
  }

  /** Closes idle keep-alive sockets; open watches end through their signals. */
  close(): void { this.agent.destroy(); }

  private token(): string | undefined {
    if (this.config.token) return this.config.token;
    if (!this.config.tokenFile) return undefined;
    const now = Date.now();
    if (!this.fileToken || now - this.fileToken.readAt > 60_000) {
      this.fileToken = { value: readFileSync(this.config.tokenFile, 'utf8').trim(), readAt: now };
    }
    return this.fileToken.value;
  }

  protected send(req: TransportRequest): Promise<TransportResponse> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + req.url, this.base);
    const headers: Record<string, string> = { ...req.headers };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (req.body) headers['Content-Length'] = String(req.body.length);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolvePromise, reject) => {
      const r = mod.request(url, { method: req.method, headers, agent: this.agent, signal: req.signal }, (res) => {
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      r.on('error', reject);
      r.end(req.body);
    });
  }
}
