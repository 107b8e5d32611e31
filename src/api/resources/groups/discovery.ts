// discovery.k8s.io/v1: EndpointSlice.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { isDNS1123Subdomain, isValidPortName, isValidPortNum, parseIP, validateImmutableField } from '../../../machinery/validation.js';
import { AGE, age, asObjs, asStr, col, isSet, setDefault, type Obj } from './util.js';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;

function validateAddress(addressType: unknown, address: string, path: string): FieldError[] {
  const ip = parseIP(address);
  switch (addressType) {
    case 'IPv4': return ip && ip.bytes.length === 4 ? [] : [field.invalid(path, address, 'must be a valid IPv4 address')];
    case 'IPv6': return ip && ip.bytes.length === 16 ? [] : [field.invalid(path, address, 'must be a valid IPv6 address')];
    case 'FQDN': return isDNS1123Subdomain(address).map((m) => field.invalid(path, address, m));
    default: return [];
  }
}

function validateEndpointSlice(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!isSet(obj.addressType) || obj.addressType === '') errs.push(field.required('addressType', ''));
  else if (!ADDRESS_TYPES.includes(asStr(obj.addressType))) errs.push(field.notSupported('addressType', obj.addressType, ADDRESS_TYPES));
  const endpoints = asObjs(obj.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) errs.push(field.tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  endpoints.forEach((ep, i) => {
    const addresses = Array.isArray(ep.addresses) ? ep.addresses : [];
    const p = `endpoints[${i}].addresses`;
    if (addresses.length === 0) errs.push(field.required(p, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(field.tooMany(p, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => errs.push(...validateAddress(obj.addressType, asStr(a), `${p}[${j}]`)));
  });
  const ports = asObjs(obj.ports);
  if (ports.length > MAX_PORTS) errs.push(field.tooMany('ports', ports.length, MAX_PORTS));
  ports.forEach((port, i) => {
    const p = `ports[${i}]`;
    const name = asStr(port.name);
    if (name) errs.push(...isValidPortName(name).map((m) => field.invalid(`${p}.name`, name, m)));
    if (!isSet(port.protocol)) errs.push(field.required(`${p}.protocol`, ''));
    else if (!PROTOCOLS.includes(asStr(port.protocol))) errs.push(field.notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
    if (typeof port.port === 'number') errs.push(...isValidPortNum(port.port).map((m) => field.invalid(`${p}.port`, port.port, m)));
  });
  return errs;
}

/** Up to three entries, then "+ N more..."; "<unset>" when there are none. */
function listWithMore(items: string[]): string {
  const max = 3;
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.length ? items.join(',') : '<unset>';
}

function portCell(port: Obj): string {
  if (typeof port.port === 'number') return String(port.port);
  return isSet(port.name) ? asStr(port.name) : '*';
}

const endpointSlices: ResourceStrategy = {
  group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', singular: 'endpointslice', namespaced: true,
  generation: true,
  defaults(obj) {
    for (const port of asObjs(obj.ports)) {
      setDefault(port, 'protocol', 'TCP');
      if (!isSet(port.name)) port.name = '';
    }
  },
  validate: validateEndpointSlice,
  validateUpdate: (obj, old) => [...validateEndpointSlice(obj), ...validateImmutableField(obj.addressType, old.addressType, 'addressType')],
  columns: [
    col('AddressType', 'string', 'Type of address carried by this EndpointSlice.'),
    col('Ports', 'string', 'Network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'string', 'Unique endpoints in this slice.'),
    AGE,
  ],
  row(obj, ctx) {
    const addresses = asObjs(obj.endpoints).flatMap((ep) => (Array.isArray(ep.addresses) ? ep.addresses.map(asStr) : []));
    return [asStr(obj.addressType), listWithMore(asObjs(obj.ports).map(portCell)), listWithMore(addresses), age(obj, ctx)];
  },
};

export const discoveryResources: ResourceStrategy[] = [endpointSlices];
