// Root CA publisher: every namespace gets the ConfigMap kube-root-ca.crt holding the
// cluster CA bundle, so pods can verify the API server (upstream's root-ca-cert-publisher).
import { isAlreadyExists, isNotFound, WorkQueue, type KubeObject } from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';

const NAME = 'kube-root-ca.crt';
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };

interface ConfigMap extends KubeObject { data?: Record<string, string> }

export function rootCaCertPublisher(ctx: ControllerContext): Controller {
  return {
    name: 'root-ca-cert-publisher',
    async run(signal) {
      const ca = ctx.options.rootCaCert;
      if (!ca) return;
      const namespaces = ctx.informers.informerFor(NAMESPACES);
      const configmaps = ctx.informers.informerFor<ConfigMap>(CONFIGMAPS);
      const queue = new WorkQueue<string>({ clock: ctx.clock });
      namespaces.addEventHandler({ onAdd: (ns) => queue.add(ns.metadata!.name!), onUpdate: (_o, ns) => queue.add(ns.metadata!.name!) });
      configmaps.addEventHandler({
        onUpdate: (_o, cm) => { if (cm.metadata?.name === NAME) queue.add(cm.metadata!.namespace!); },
        onDelete: (cm) => { if (cm.metadata?.name === NAME) queue.add(cm.metadata!.namespace!); },
      });
      signal.addEventListener('abort', () => queue.shutDown(), { once: true });
      if (!(await ctx.informers.waitForSync(signal))) return;
      const cms = ctx.client.resource<ConfigMap>(CONFIGMAPS);
      await queue.runWorkers(ctx.options.workers, async (ns) => {
        const nsObj = namespaces.lister.get('', ns);
        if (!nsObj || nsObj.metadata?.deletionTimestamp) return;
        const cur = configmaps.lister.get(ns, NAME);
        if (!cur) {
          try {
            await cms.create(ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAME, namespace: ns, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': ca } });
          } catch (err) {
            if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
          }
        } else if (cur.data?.['ca.crt'] !== ca) {
          const next = structuredClone(cur) as ConfigMap;
          next.data = { ...(next.data ?? {}), 'ca.crt': ca };
          await cms.update(ns, next);
        }
      }, signal);
    },
  };
}
