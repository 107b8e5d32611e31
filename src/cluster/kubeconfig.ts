// Kubeconfig files for admins and components.
import { stringify } from 'yaml';
import { writeFileAtomic } from '../util/fs.js';

export interface KubeconfigOptions {
  server: string;
  caCert: string;
  clusterName?: string;
  userName?: string;
  clientCert?: string;
  clientKey?: string;
  token?: string;
}

export function renderKubeconfig(o: KubeconfigOptions): string {
  const cluster = o.clusterName ?? 'kite';
  const user = o.userName ?? `${cluster}-admin`;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const userEntry: Record<string, string> = {};
  if (o.clientCert && o.clientKey) {
    userEntry['client-certificate-data'] = b64(o.clientCert);
    userEntry['client-key-data'] = b64(o.clientKey);
  }
  if (o.token) userEntry.token = o.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: o.server, 'certificate-authority-data': b64(o.caCert) } }],
    contexts: [{ name: cluster, context: { cluster, user } }],
    'current-context': cluster,
    preferences: {},
    users: [{ name: user, user: userEntry }],
  });
}

/** Writes a kubeconfig atomically with mode 0600 (it holds credentials). */
export function writeKubeconfig(path: string, o: KubeconfigOptions): void {
  writeFileAtomic(path, renderKubeconfig(o), 0o600);
}
