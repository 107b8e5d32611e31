// Service and Endpoints. ClusterIP and NodePort allocation belong to the API server's
// service registry; this strategy fills the defaults that follow from the spec alone and
// carries allocated values over on update the way upstream's service REST does.
import type { KObject, ResourceStrategy, TableColumn } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { asArr, asNum, asObj, asObjs, asStr, child, formatLabels, setDefault, type Obj } from './util.js';
import { ageSince } from '../../../machinery/duration.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPortName, isValidPortNum, parseIP } from '../../../machinery/validation.js';
import { AGE_COLUMN } from './columns.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function defaultService(obj: KObject): void {
  const spec = child(obj, 'spec');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = child(child(spec, 'sessionAffinityConfig'), 'clientIP');
    if (typeof cfg.timeoutSeconds !== 'number') cfg.timeoutSeconds = 10800;
  }
  setDefault(spec, 'type', 'ClusterIP');
  for (const p of asObjs(spec.ports)) {
    setDefault(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const type = spec.type;
  const external = type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && asArr(spec.externalIPs).length > 0);
  if (external) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type !== 'ExternalName') {
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
    // Single-stack IPv4 cluster: what upstream's service REST settles on for every family field.
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    if (asArr(spec.ipFamilies).length === 0) spec.ipFamilies = ['IPv4'];
    if (asStr(spec.clusterIP) && asArr(spec.clusterIPs).length === 0) spec.clusterIPs = [spec.clusterIP];
    if (!asStr(spec.clusterIP) && asArr(spec.clusterIPs).length > 0) spec.clusterIP = asArr(spec.clusterIPs)[0];
  }
  if (type === 'LoadBalancer' && typeof spec.allocateLoadBalancerNodePorts !== 'boolean') spec.allocateLoadBalancerNodePorts = true;
}

const hasClusterIP = (spec: Obj) => spec.type !== 'ExternalName';

/** Keeps allocated clusterIP(s) and nodePorts that an update leaves empty (e.g. a re-apply). */
const needsNodePorts = (t: unknown) => t === 'NodePort' || t === 'LoadBalancer';

/**
 * Upstream dropTypeDependentFields: a type change drops the values the old type had
 * allocated (node ports, health-check port, cluster IPs for ExternalName) unless the
 * client changed them itself.
 */
function dropTypeDependentFields(spec: Record<string, unknown>, oldSpec: Record<string, unknown>): void {
  if (spec.type === oldSpec.type) return;
  if (needsNodePorts(oldSpec.type) && !needsNodePorts(spec.type)) {
    const oldPorts = asObjs(oldSpec.ports);
    for (const p of asObjs(spec.ports)) {
      const prev = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (p.nodePort !== undefined && prev && prev.nodePort === p.nodePort) delete p.nodePort;
    }
  }
  if (oldSpec.healthCheckNodePort !== undefined && spec.healthCheckNodePort === oldSpec.healthCheckNodePort && spec.type !== 'LoadBalancer') delete spec.healthCheckNodePort;
  if (spec.type === 'ExternalName' && oldSpec.type !== 'ExternalName') {
    if (spec.clusterIP === oldSpec.clusterIP) delete spec.clusterIP;
    if (JSON.stringify(spec.clusterIPs) === JSON.stringify(oldSpec.clusterIPs)) delete spec.clusterIPs;
    for (const k of ['ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy']) if (JSON.stringify(spec[k]) === JSON.stringify(oldSpec[k])) delete spec[k];
  }
}

function keepAllocated(obj: KObject, old: KObject): void {
  const spec = child(obj, 'spec');
  const oldSpec = asObj(old.spec);
  dropTypeDependentFields(spec, oldSpec);
  if (hasClusterIP(spec) && hasClusterIP(oldSpec) && !asStr(spec.clusterIP) && asArr(spec.clusterIPs).length === 0) {
    if (oldSpec.clusterIP !== undefined) spec.clusterIP = oldSpec.clusterIP;
    if (oldSpec.clusterIPs !== undefined) spec.clusterIPs = oldSpec.clusterIPs;
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    const oldPorts = asObjs(oldSpec.ports);
    for (const p of asObjs(spec.ports)) {
      if (p.nodePort) continue;
      const prev = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (prev?.nodePort) p.nodePort = prev.nodePort;
    }
    if (!spec.healthCheckNodePort && oldSpec.healthCheckNodePort) spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}

function validateService(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObj(obj.spec);
  const type = asStr(spec.type);
  const headless = spec.clusterIP === 'None';
  const ports = asObjs(spec.ports);
  if (!SERVICE_TYPES.includes(type)) errs.push(field.notSupported('spec.type', spec.type ?? '', SERVICE_TYPES));
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(field.required('spec.ports', ''));
  if (type === 'ExternalName') {
    const name = asStr(spec.externalName);
    if (!name) errs.push(field.required('spec.externalName', ''));
    else for (const m of isDNS1123Subdomain(name.replace(/\.$/, ''))) errs.push(field.invalid('spec.externalName', name, m));
    if (asStr(spec.clusterIP) || asArr(spec.clusterIPs).length) errs.push(field.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
  }
  asArr(spec.clusterIPs).forEach((ip, i) => {
    if (ip !== 'None') errs.push(...isValidIP(`spec.clusterIPs[${i}]`, asStr(ip)));
  });
  if (!['None', 'ClientIP'].includes(asStr(spec.sessionAffinity))) errs.push(field.notSupported('spec.sessionAffinity', spec.sessionAffinity ?? '', ['ClientIP', 'None']));

  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const pp = `spec.ports[${i}]`;
    const name = asStr(p.name);
    if (ports.length > 1 && !name) errs.push(field.required(`${pp}.name`, ''));
    else if (name) {
      for (const m of isDNS1123Label(name)) errs.push(field.invalid(`${pp}.name`, name, m));
      if (names.has(name)) errs.push(field.duplicate(`${pp}.name`, name));
      names.add(name);
    }
    for (const m of isValidPortNum(asNum(p.port))) errs.push(field.invalid(`${pp}.port`, p.port ?? 0, m));
    const proto = asStr(p.protocol);
    if (!proto) errs.push(field.required(`${pp}.protocol`, ''));
    else if (!PROTOCOLS.includes(proto)) errs.push(field.notSupported(`${pp}.protocol`, proto, PROTOCOLS));
    if (typeof p.targetPort === 'number') for (const m of isValidPortNum(p.targetPort)) errs.push(field.invalid(`${pp}.targetPort`, p.targetPort, m));
    else if (typeof p.targetPort === 'string') for (const m of isValidPortName(p.targetPort)) errs.push(field.invalid(`${pp}.targetPort`, p.targetPort, m));
    if (p.nodePort && type === 'ClusterIP') errs.push(field.forbidden(`${pp}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
    else if (p.nodePort) for (const m of isValidPortNum(asNum(p.nodePort))) errs.push(field.invalid(`${pp}.nodePort`, p.nodePort, m));
    const key = `${asNum(p.port)}/${proto}`;
    if (keys.has(key)) errs.push(field.duplicate(pp, { port: p.port, protocol: proto }));
    keys.add(key);
  });
  return errs;
}

function validateServiceUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = validateService(obj);
  const spec = asObj(obj.spec);
  const oldIPs = asArr(asObj(old.spec).clusterIPs);
  const ips = asArr(spec.clusterIPs);
  if (spec.type !== 'ExternalName' && asObj(old.spec).type !== 'ExternalName' && oldIPs.length > 0) {
    if (ips.length === 0) errs.push(field.invalid('spec.clusterIPs[0]', null, 'primary clusterIP can not be unset'));
    else if (ips[0] !== oldIPs[0]) errs.push(field.invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
  }
  return errs;
}

/** Upstream getServiceExternalIP with wide output (no truncation). */
function externalIP(svc: KObject): string {
  const spec = asObj(svc.spec);
  const ext = asArr(spec.externalIPs).map(asStr);
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = asObjs(asObj(asObj(svc.status).loadBalancer).ingress);
      const lb = [...new Set(ingress.map((i) => asStr(i.ip) || asStr(i.hostname)).filter(Boolean))].sort();
      const all = [...lb, ...ext];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return asStr(spec.externalName);
    default:
      return '<unknown>';
  }
}

const serviceColumns: TableColumn[] = [
  { name: 'Type', type: 'string', description: 'How the Service is exposed.', priority: 0 },
  { name: 'Cluster-IP', type: 'string', description: 'The IP address of the service, usually assigned randomly.', priority: 0 },
  { name: 'External-IP', type: 'string', description: 'IP addresses for which nodes also accept traffic for this service.', priority: 0 },
  { name: 'Port(s)', type: 'string', description: 'The list of ports that are exposed by this service.', priority: 0 },
  AGE_COLUMN,
  { name: 'Selector', type: 'string', description: 'Route service traffic to pods with label keys and values matching this selector.', priority: 1 },
];

export const serviceStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'Service', plural: 'services', singular: 'service', namespaced: true,
  shortNames: ['svc'], categories: ['all'],
  subresources: { status: true },
  generation: false,
  defaults: defaultService,
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
  },
  prepareForUpdate: keepAllocated,
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  columns: serviceColumns,
  row(obj, ctx) {
    const spec = asObj(obj.spec);
    const ports = asObjs(spec.ports)
      .map((p) => (asNum(p.nodePort) > 0 ? `${asNum(p.port)}:${asNum(p.nodePort)}/${asStr(p.protocol)}` : `${asNum(p.port)}/${asStr(p.protocol)}`))
      .join(',');
    return [
      asStr(spec.type), asStr(asArr(spec.clusterIPs)[0]) || '<none>', externalIP(obj), ports || '<none>',
      ageSince(obj.metadata.creationTimestamp, ctx.now), formatLabels(spec.selector),
    ];
  },
  fieldSelectors: {
    'spec.clusterIP': (o) => asStr(asObj(o.spec).clusterIP),
    'spec.type': (o) => asStr(asObj(o.spec).type),
  },
};

/** Upstream formatEndpoints: up to three "ip:port" entries, then " + N more...". */
function formatEndpoints(obj: KObject): string {
  const subsets = asObjs(obj.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addrs = asObjs(ss.addresses).map((a) => asStr(a.ip));
    const ports = asObjs(ss.ports);
    const perPort = ports.length ? ports.map((p) => (ip: string) => (ip.includes(':') ? `[${ip}]` : ip) + `:${asNum(p.port)}`) : [(ip: string) => ip];
    for (const fmt of perPort) {
      count += addrs.length;
      for (const ip of addrs) if (list.length < 3) list.push(fmt(ip));
    }
  }
  return count > 3 ? `${list.join(',')} + ${count - 3} more...` : list.join(',');
}

export const endpointsStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', namespaced: true,
  listKind: 'EndpointsList',
  shortNames: ['ep'],
  defaults(obj) {
    for (const ss of asObjs(obj.subsets)) for (const p of asObjs(ss.ports)) setDefault(p, 'protocol', 'TCP');
  },
  validate(obj) {
    const errs: FieldError[] = [];
    asObjs(obj.subsets).forEach((ss, i) => {
      for (const key of ['addresses', 'notReadyAddresses']) {
        asObjs(ss[key]).forEach((a, j) => {
          if (!parseIP(asStr(a.ip))) errs.push(field.invalid(`subsets[${i}].${key}[${j}].ip`, a.ip ?? '', 'must be a valid IP address'));
        });
      }
      asObjs(ss.ports).forEach((p, j) => {
        for (const m of isValidPortNum(asNum(p.port))) errs.push(field.invalid(`subsets[${i}].ports[${j}].port`, p.port ?? 0, m));
        if (!PROTOCOLS.includes(asStr(p.protocol))) errs.push(field.notSupported(`subsets[${i}].ports[${j}].protocol`, p.protocol ?? '', PROTOCOLS));
      });
    });
    return errs;
  },
  columns: [{ name: 'Endpoints', type: 'string', description: 'The set of all endpoints is the union of all subsets.', priority: 0 }, AGE_COLUMN],
  row: (obj, ctx) => [formatEndpoints(obj), ageSince(obj.metadata.creationTimestamp, ctx.now)],
};
