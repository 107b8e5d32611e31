// Request attributes derived from the URL, as upstream's RequestInfoFactory does:
// /api/v1/..., /apis/{group}/{version}/..., [namespaces/{ns}/]{resource}[/{name}[/{sub}]].

export interface RequestInfo {
  isResource: boolean;
  path: string;
  verb: string; // get list watch create update patch delete deletecollection (or the HTTP verb lower-cased for non-resource)
  apiPrefix?: 'api' | 'apis';
  group: string;
  version: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after /api or /apis/{g}: [] for the group itself. */
  parts: string[];
}

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = { isResource: false, path, verb: method.toLowerCase(), group: '', version: '', namespace: '', resource: '', subresource: '', name: '', parts: [] };
  const segs = path.split('/').filter((s) => s !== '').map(safeDecode);
  if (segs[0] === 'api') {
    info.apiPrefix = 'api';
    if (segs.length < 2) return info;
    info.version = segs[1];
    info.parts = segs.slice(2);
  } else if (segs[0] === 'apis') {
    info.apiPrefix = 'apis';
    if (segs.length < 3) {
      if (segs.length === 2) info.group = segs[1];
      return info;
    }
    info.group = segs[1];
    info.version = segs[2];
    info.parts = segs.slice(3);
  } else {
    return info;
  }
  let rest = info.parts;
  if (rest.length === 0) return info;
  info.isResource = true;
  if (rest[0] === 'namespaces') {
    if (rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2])) {
      info.namespace = rest[1];
      rest = rest.slice(2);
    } else {
      // The namespaces resource itself: /namespaces[/{name}[/status|/finalize]].
      info.resource = 'namespaces';
      info.name = rest[1] ?? '';
      info.subresource = rest.slice(2).join('/');
      rest = [];
    }
  }
  if (rest.length) {
    info.resource = rest[0];
    info.name = rest[1] ?? '';
    info.subresource = rest.slice(2).join('/');
  }
  switch (method) {
    case 'GET':
    case 'HEAD':
      info.verb = info.name ? 'get' : isTrue(query.get('watch')) ? 'watch' : 'list';
      if (info.name && isTrue(query.get('watch'))) info.verb = 'watch';
      break;
    case 'POST': info.verb = 'create'; break;
    case 'PUT': info.verb = 'update'; break;
    case 'PATCH': info.verb = 'patch'; break;
    case 'DELETE': info.verb = info.name ? 'delete' : 'deletecollection'; break;
    default: info.verb = method.toLowerCase();
  }
  return info;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
