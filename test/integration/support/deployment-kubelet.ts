// A stand-in for kubelets in the Deployment/GC/namespace tests: pods are never bound (no
// nodes), but this marks each new pod Running and Ready as a kubelet would, unless `hold`
// says to leave it pending. It polls the API until stopped.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Client, HttpTransport, isNotFound } from '../../../src/client/index.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const now = () => `${new Date().toISOString().slice(0, 19)}Z`;

export class DeploymentKubelet {
  readonly client: Client;
  /** Pods for which this returns true stay Pending and not ready. */
  hold: (pod: Pod) => boolean = () => false;

  constructor(kubeconfigPath: string) {
    this.client = new Client(HttpTransport.fromKubeconfig(kubeconfigPath));
  }

  async run(signal: AbortSignal): Promise<void> {
    const pods = this.client.resource<Pod>(PODS);
    while (!signal.aborted) {
      try {
        for (const pod of (await pods.list('', { signal })).items) {
          if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Running' || this.hold(pod)) continue;
          const t = now();
          await pods.patch(pod.metadata!.namespace!, pod.metadata!.name!, 'merge', {
            metadata: { resourceVersion: pod.metadata?.resourceVersion },
            status: {
              phase: 'Running', startTime: t,
              conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: t })),
              containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
                name: c.name, image: c.image ?? '', imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: t } },
              })),
            },
          }, { subresource: 'status', signal }).catch((e: unknown) => { if (!isNotFound(e) && !signal.aborted) throw e; });
        }
      } catch {
        // Conflicts and shutdown: the next pass sees the current state.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
