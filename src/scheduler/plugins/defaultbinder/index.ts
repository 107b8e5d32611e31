// DefaultBinder: binds through the pods/binding subresource.
import { errorStatus, type BindPlugin, type PodInfo } from '../../types.js';

/** post writes a core/v1 Binding for the pod and throws when the server refuses it. */
export function defaultBinder(post: (pod: PodInfo, binding: Record<string, unknown>) => Promise<void>): BindPlugin {
  return {
    name: 'DefaultBinder',
    async bind(_s, pod, nodeName) {
      try {
        await post(pod, {
          apiVersion: 'v1', kind: 'Binding',
          metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        });
        return undefined;
      } catch (e) {
        return errorStatus(e instanceof Error ? e.message : String(e));
      }
    },
  };
}
