// A compact, literal way to describe a SchemaNode tree for tests, so patch and apply tests
// need no type registry. Spec grammar:
//   'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'quantity' | 'any'
//   { $list: Spec, $key?: 'name', $strategy?: 'merge', $listType?, $listMapKeys? }   an array
//       ($key implies strategy 'merge' and listType 'map'; a primitive list with strategy
//        'merge' is listType 'set'; otherwise 'atomic')
//   { $map: Spec, $mapType? }                                                          a map
//   { $strategy?: 'retainKeys', $preserveUnknown?: true, field: Spec, ... }           an object
import type { SchemaNode } from '../schema.js';

type Scalar = 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'quantity' | 'any';
export interface ListSpec { $list: Spec; $key?: string; $strategy?: string; $listType?: 'atomic' | 'set' | 'map'; $listMapKeys?: string[] }
export interface MapSpec { $map: Spec; $mapType?: 'atomic' | 'granular' }
export interface ObjectSpec { $strategy?: string; $preserveUnknown?: boolean; [field: string]: Spec | string | boolean | undefined }
export type Spec = Scalar | ListSpec | MapSpec | ObjectSpec;

export function schemaFromSpec(spec: Spec): SchemaNode {
  if (typeof spec === 'string') return node({ type: spec });
  if ('$list' in spec) {
    const l = spec as ListSpec;
    const strategy = l.$strategy ?? (l.$key ? 'merge' : undefined);
    const primitive = typeof l.$list === 'string';
    const listType = l.$listType ?? (l.$key ? 'map' : strategy?.includes('merge') && primitive ? 'set' : 'atomic');
    const elem = schemaFromSpec(l.$list);
    return node({
      type: 'array', elements: () => elem, patchStrategy: strategy, patchMergeKey: l.$key, listType,
      listMapKeys: l.$listMapKeys ?? (l.$key ? [l.$key] : undefined),
    });
  }
  if ('$map' in spec) {
    const m = spec as MapSpec;
    const value = schemaFromSpec(m.$map);
    return node({ type: 'map', elements: () => value, mapType: m.$mapType });
  }
  const o = spec as ObjectSpec;
  const props = new Map<string, SchemaNode>();
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('$') && v !== undefined) props.set(k, schemaFromSpec(v as Spec));
  }
  return node({
    type: 'object', patchStrategy: o.$strategy, preserveUnknown: o.$preserveUnknown,
    property: (n) => props.get(n), propertyNames: () => [...props.keys()],
  });
}

function node(parts: Partial<SchemaNode> & Pick<SchemaNode, 'type'>): SchemaNode {
  return { property: () => undefined, propertyNames: () => [], elements: () => undefined, ...parts };
}

const container: Spec = {
  name: 'string', image: 'string', command: { $list: 'string' }, args: { $list: 'string' },
  env: { $list: { name: 'string', value: 'string', valueFrom: 'any' }, $key: 'name' },
  ports: { $list: { name: 'string', containerPort: 'integer', protocol: 'string' }, $key: 'containerPort', $listMapKeys: ['containerPort', 'protocol'] },
  volumeMounts: { $list: { name: 'string', mountPath: 'string', readOnly: 'boolean' }, $key: 'mountPath' },
  resources: { limits: { $map: 'quantity' }, requests: { $map: 'quantity' } },
};

/** A PodSpec subset with upstream's patch metadata. */
export const POD_SPEC: Spec = {
  containers: { $list: container, $key: 'name' },
  initContainers: { $list: container, $key: 'name' },
  volumes: {
    $list: { $strategy: 'retainKeys', name: 'string', emptyDir: { medium: 'string', sizeLimit: 'quantity' }, configMap: { name: 'string', defaultMode: 'integer' }, secret: { secretName: 'string' } },
    $key: 'name', $strategy: 'merge,retainKeys',
  },
  tolerations: { $list: { key: 'string', operator: 'string', value: 'string', effect: 'string' } },
  imagePullSecrets: { $list: { name: 'string' }, $key: 'name' },
  nodeSelector: { $map: 'string' },
  restartPolicy: 'string',
};

export const OBJECT_META: Spec = {
  name: 'string', namespace: 'string', generateName: 'string', uid: 'string', resourceVersion: 'string',
  labels: { $map: 'string' }, annotations: { $map: 'string' },
  finalizers: { $list: 'string', $strategy: 'merge' },
  ownerReferences: { $list: { apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'boolean' }, $key: 'uid' },
  managedFields: { $list: 'any' },
};

/** An apps/v1 Deployment subset with upstream's patch metadata. */
export const DEPLOYMENT: Spec = {
  apiVersion: 'string', kind: 'string', metadata: OBJECT_META,
  spec: {
    replicas: 'integer', selector: 'any',
    strategy: { $strategy: 'retainKeys', type: 'string', rollingUpdate: { maxSurge: 'int-or-string', maxUnavailable: 'int-or-string' } },
    template: { metadata: OBJECT_META, spec: POD_SPEC },
  },
  status: { replicas: 'integer', conditions: { $list: { type: 'string', status: 'string' }, $key: 'type' } },
};
