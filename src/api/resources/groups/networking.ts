// networking.k8s.io/v1: IngressClass, Ingress, NetworkPolicy.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { formatLabelSelector, validateLabelSelector } from '../../../machinery/labels.js';
import {
  isDNS1035Label, isDNS1123Subdomain, isValidPortName, isValidPortNum, isWildcardDNS1123Subdomain, parseCIDR, parseIP, validateImmutableField,
} from '../../../machinery/validation.js';
import { AGE, age, asObj, asObjs, asSelector, asStr, child, col, isObj, isSet, readSpec, readStatus, setDefault, specOf, type Obj } from './util.js';

// ---- IngressClass ---------------------------------------------------------------------

const CONTROLLER_MAX = 250;

/** Upstream IsDomainPrefixedPath: "example.com/name". */
function validateDomainPrefixedPath(path: string, value: string): FieldError[] {
  if (value === '') return [field.required(path, '')];
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) return [field.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = value.slice(0, slash);
  const rest = value.slice(slash + 1);
  const errs = isDNS1123Subdomain(host).map((m) => field.invalid(path, host, m));
  if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest)) {
    errs.push(field.invalid(path, rest, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  }
  return errs;
}

function validateIngressClass(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const controller = asStr(spec.controller);
  const errs = controller.length > CONTROLLER_MAX ? [field.tooLong('spec.controller', controller, CONTROLLER_MAX)] : validateDomainPrefixedPath('spec.controller', controller);
  if (isObj(spec.parameters)) {
    const p = spec.parameters;
    if (!asStr(p.kind)) errs.push(field.required('spec.parameters.kind', 'kind is required'));
    if (!asStr(p.name)) errs.push(field.required('spec.parameters.name', 'name is required'));
    if (!isSet(p.scope)) errs.push(field.required('spec.parameters.scope', ''));
    else if (p.scope === 'Namespace' && !isSet(p.namespace)) errs.push(field.required('spec.parameters.namespace', "`parameters.scope` is set to 'Namespace'"));
    else if (p.scope === 'Cluster' && isSet(p.namespace)) errs.push(field.forbidden('spec.parameters.namespace', "`parameters.scope` is set to 'Cluster'"));
    else if (p.scope !== 'Namespace' && p.scope !== 'Cluster') errs.push(field.notSupported('spec.parameters.scope', p.scope, ['Cluster', 'Namespace']));
  }
  return errs;
}

const ingressClasses: ResourceStrategy = {
  group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass', plural: 'ingressclasses', singular: 'ingressclass', namespaced: false,
  generation: true,
  defaults(obj) {
    const spec = specOf(obj);
    if (isObj(spec.parameters)) setDefault(spec.parameters, 'scope', 'Cluster');
  },
  validate: validateIngressClass,
  validateUpdate: (obj, old) => [...validateIngressClass(obj), ...validateImmutableField(readSpec(obj).controller, readSpec(old).controller, 'spec.controller')],
  columns: [
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    AGE,
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    let parameters = '<none>';
    if (isObj(spec.parameters)) {
      const p = spec.parameters;
      parameters = `${asStr(p.kind)}${isSet(p.apiGroup) ? `.${asStr(p.apiGroup)}` : ''}/${asStr(p.name)}`;
    }
    return [asStr(spec.controller), parameters, age(obj, ctx)];
  },
};

// ---- Ingress --------------------------------------------------------------------------

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function validateIngressBackend(backend: Obj, path: string): FieldError[] {
  const hasResource = isSet(backend.resource);
  const service = backend.service;
  if (hasResource && isSet(service)) return [field.invalid(path, '', 'cannot set both resource and service backends')];
  if (hasResource) {
    const r = asObj(backend.resource);
    const errs: FieldError[] = [];
    if (!asStr(r.kind)) errs.push(field.required(`${path}.resource.kind`, ''));
    if (!asStr(r.name)) errs.push(field.required(`${path}.resource.name`, ''));
    return errs;
  }
  if (!isObj(service)) return [field.invalid(path, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = asStr(service.name);
  if (!name) errs.push(field.required(`${path}.service.name`, ''));
  else errs.push(...isDNS1035Label(name).map((m) => field.invalid(`${path}.service.name`, name, m)));
  const port = asObj(service.port);
  const portName = asStr(port.name);
  const portNumber = typeof port.number === 'number' ? port.number : 0;
  if (portName && portNumber) errs.push(field.invalid(path, '', 'cannot set both port name & port number'));
  else if (portName) errs.push(...isValidPortName(portName).map((m) => field.invalid(`${path}.service.port.name`, portName, m)));
  else if (portNumber) errs.push(...isValidPortNum(portNumber).map((m) => field.invalid(`${path}.service.port.number`, portNumber, m)));
  else errs.push(field.required(path, 'port name or number is required'));
  return errs;
}

function validateIngressPath(p: Obj, path: string): FieldError[] {
  if (!isSet(p.pathType)) return [field.required(`${path}.pathType`, 'pathType must be specified')];
  const value = asStr(p.path);
  const errs: FieldError[] = [];
  switch (p.pathType) {
    case 'Exact': case 'Prefix':
      if (!value.startsWith('/')) errs.push(field.invalid(`${path}.path`, value, 'must be an absolute path'));
      for (const seq of ['//', '/./', '/../', '%2f', '%2F']) if (value.includes(seq)) errs.push(field.invalid(`${path}.path`, value, `must not contain '${seq}'`));
      for (const suffix of ['/..', '/.']) if (value.endsWith(suffix)) errs.push(field.invalid(`${path}.path`, value, `cannot end with '${suffix}'`));
      break;
    case 'ImplementationSpecific':
      if (value !== '' && !value.startsWith('/')) errs.push(field.invalid(`${path}.path`, value, 'must be an absolute path'));
      break;
    default:
      errs.push(field.notSupported(`${path}.pathType`, p.pathType, PATH_TYPES));
  }
  return [...errs, ...validateIngressBackend(asObj(p.backend), `${path}.backend`)];
}

function validateIngress(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const errs: FieldError[] = [];
  const rules = asObjs(spec.rules);
  if (isObj(spec.defaultBackend)) errs.push(...validateIngressBackend(spec.defaultBackend, 'spec.defaultBackend'));
  else if (rules.length === 0) errs.push(field.invalid('spec', spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  rules.forEach((rule, i) => {
    const host = asStr(rule.host);
    if (host) {
      const hostPath = `spec.rules[${i}].host`;
      if (parseIP(host)) errs.push(field.invalid(hostPath, host, 'must be a DNS name, not an IP address'));
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      errs.push(...msgs.map((m) => field.invalid(hostPath, host, m)));
    }
    if (isObj(rule.http)) {
      // Upstream reports every rule's paths under rules[0].
      const paths = asObjs(rule.http.paths);
      if (paths.length === 0) errs.push(field.required('spec.rules[0].http.paths', ''));
      paths.forEach((p, j) => errs.push(...validateIngressPath(p, `spec.rules[0].http.paths[${j}]`)));
    }
  });
  asObjs(spec.tls).forEach((tls, i) => {
    (Array.isArray(tls.hosts) ? tls.hosts : []).forEach((h, j) => {
      const host = asStr(h);
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      errs.push(...msgs.map((m) => field.invalid(`spec.tls[${i}].hosts[${j}]`, host, m)));
    });
  });
  if (isSet(spec.ingressClassName)) {
    const name = asStr(spec.ingressClassName);
    errs.push(...isDNS1123Subdomain(name).map((m) => field.invalid('spec.ingressClassName', name, m)));
  }
  return errs;
}

/** Up to three hosts, then "+ N more..."; "*" when no rule names a host. */
function formatHosts(rules: Obj[]): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  for (const r of rules) {
    if (list.length === max) more = true;
    if (!more && asStr(r.host)) list.push(asStr(r.host));
  }
  if (list.length === 0) return '*';
  return more ? `${list.join(',')} + ${rules.length - max} more...` : list.join(',');
}

/** Load balancer ingress points: IPs or hostnames, de-duplicated and sorted. */
function loadBalancerAddresses(status: Obj): string {
  const set = new Set<string>();
  for (const i of asObjs(asObj(status.loadBalancer).ingress)) {
    const v = asStr(i.ip) || asStr(i.hostname);
    if (v) set.add(v);
  }
  return [...set].sort().join(',');
}

const ingresses: ResourceStrategy = {
  group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', singular: 'ingress', namespaced: true,
  shortNames: ['ing'], subresources: { status: true },
  prepareForCreate(obj) { obj.status = {}; },
  validate: validateIngress,
  validateUpdate: validateIngress,
  columns: [
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE,
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    return [isSet(spec.ingressClassName) ? asStr(spec.ingressClassName) : '<none>', formatHosts(asObjs(spec.rules)), loadBalancerAddresses(readStatus(obj)),
      asObjs(spec.tls).length > 0 ? '80, 443' : '80', age(obj, ctx)];
  },
};

// ---- NetworkPolicy --------------------------------------------------------------------

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

function validatePorts(ports: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  ports.forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (isSet(port.protocol) && !PROTOCOLS.includes(asStr(port.protocol))) errs.push(field.notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
    if (typeof port.port === 'number') errs.push(...isValidPortNum(port.port).map((m) => field.invalid(`${p}.port`, port.port, m)));
    else if (typeof port.port === 'string') errs.push(...isValidPortName(port.port).map((m) => field.invalid(`${p}.port`, port.port, m)));
    if (isSet(port.endPort)) {
      if (typeof port.port !== 'number') errs.push(field.required(`${p}.port`, 'must be specified when endPort is specified'));
      else if (typeof port.endPort === 'number' && port.endPort < port.port) errs.push(field.invalid(`${p}.endPort`, port.endPort, 'must be greater than or equal to `port`'));
    }
  });
  return errs;
}

function validatePeers(peers: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  peers.forEach((peer, i) => {
    const p = `${path}[${i}]`;
    let count = 0;
    if (isObj(peer.podSelector)) { count++; errs.push(...validateLabelSelector(asSelector(peer.podSelector), `${p}.podSelector`)); }
    if (isObj(peer.namespaceSelector)) { count++; errs.push(...validateLabelSelector(asSelector(peer.namespaceSelector), `${p}.namespaceSelector`)); }
    if (isObj(peer.ipBlock)) {
      count++;
      const cidr = asStr(peer.ipBlock.cidr);
      if (!cidr) errs.push(field.required(`${p}.ipBlock.cidr`, ''));
      else if (!parseCIDR(cidr)) errs.push(field.invalid(`${p}.ipBlock.cidr`, cidr, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    }
    if (count === 0) errs.push(field.required(p, 'must specify a peer'));
    else if (isObj(peer.ipBlock) && count > 1) errs.push(field.forbidden(p, 'may not specify both ipBlock and another peer'));
  });
  return errs;
}

function validateNetworkPolicy(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const errs = validateLabelSelector(asSelector(spec.podSelector), 'spec.podSelector');
  asObjs(spec.ingress).forEach((rule, i) => {
    errs.push(...validatePorts(asObjs(rule.ports), `spec.ingress[${i}].ports`), ...validatePeers(asObjs(rule.from), `spec.ingress[${i}].from`));
  });
  asObjs(spec.egress).forEach((rule, i) => {
    errs.push(...validatePorts(asObjs(rule.ports), `spec.egress[${i}].ports`), ...validatePeers(asObjs(rule.to), `spec.egress[${i}].to`));
  });
  const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(field.notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
  });
  if (types.length > 2) errs.push(field.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
  return errs;
}

const networkPolicies: ResourceStrategy = {
  group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', singular: 'networkpolicy', namespaced: true,
  shortNames: ['netpol'], generation: true,
  defaults(obj) {
    const spec = specOf(obj);
    child(spec, 'podSelector');
    const egress = asObjs(spec.egress);
    if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) spec.policyTypes = egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
    for (const rule of [...asObjs(spec.ingress), ...egress]) for (const port of asObjs(rule.ports)) setDefault(port, 'protocol', 'TCP');
  },
  validate: validateNetworkPolicy,
  validateUpdate: validateNetworkPolicy,
  columns: [col('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'), AGE],
  row: (obj, ctx) => [formatLabelSelector(asSelector(readSpec(obj).podSelector)), age(obj, ctx)],
};

export const networkingResources: ResourceStrategy[] = [ingressClasses, ingresses, networkPolicies];
