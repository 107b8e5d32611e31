// Leader election for the components the server hosts, as kube-controller-manager and
// kube-scheduler do: each holds a Lease in kube-system (named after the component) and
// runs only while leading. Upstream exits the process when leadership is lost; here the
// process also serves the API, so the component is stopped and campaigns again instead.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LeaderElector, type Client } from '../client/index.js';
import type { Clock } from '../util/clock.js';
import { writeFileAtomic } from '../util/fs.js';
import { logger } from '../util/log.js';

const log = logger('leader');

/**
 * `<hostname>_<uuid>` as upstream, but the uuid is kept in the data directory: a server
 * restarted after a crash is the same candidate and renews its own lease at once instead
 * of waiting out the lease (15 s) held by its previous life.
 */
export function candidateIdentity(dataDir: string): string {
  const file = join(dataDir, 'leader-identity');
  let id = '';
  try { id = readFileSync(file, 'utf8').trim(); } catch { /* first start */ }
  if (!/^[0-9a-f-]{36}$/.test(id)) {
    id = randomUUID();
    mkdirSync(dataDir, { recursive: true });
    writeFileAtomic(file, `${id}\n`);
  }
  return `${hostname()}_${id}`;
}

/**
 * Runs `component` while this candidate holds kube-system/<name>; after a lost lease the
 * component is stopped (its signal aborts), awaited, and the candidate campaigns again.
 * Settles once `signal` aborts and the component has stopped; a graceful stop hands the
 * lease back so the next holder need not wait for it to expire.
 */
export async function runWhileLeading(client: Client, name: string, identity: string, signal: AbortSignal,
  component: (signal: AbortSignal) => Promise<void>, clock?: Clock): Promise<void> {
  while (!signal.aborted) {
    let running: Promise<void> | undefined;
    const elector = new LeaderElector({
      client, namespace: 'kube-system', name, identity, releaseOnCancel: true, clock,
      onStartedLeading: (leading) => {
        log.info({ lease: name, identity }, 'leading: starting');
        running = component(leading).catch((err) => log.error({ lease: name, err: String(err) }, 'component stopped with an error'));
      },
      onStoppedLeading: () => { if (!signal.aborted) log.warn({ lease: name, identity }, 'leadership lost: stopping, then campaigning again'); },
    });
    await elector.run(signal);
    await running;
  }
}
