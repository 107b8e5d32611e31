// HTTP endpoints for /openapi/v3 (index and per group/version documents) and /openapi/v2.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenAPIService } from './index.js';
import { serveOpenAPIV2 } from './v2.js';

/** Serves /openapi/v2 and /openapi/v3[/...]; returns false for other paths. */
export function serveOpenAPI(svc: OpenAPIService, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const p = url.pathname;
  if (p === '/openapi/v2') return serveOpenAPIV2(svc, req, res);
  if (p !== '/openapi/v3' && p !== '/openapi/v3/' && !p.startsWith('/openapi/v3/')) return false;
  if (p === '/openapi/v3' || p === '/openapi/v3/') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.end(JSON.stringify(svc.index()));
    return true;
  }
  const doc = svc.document(p);
  if (!doc) {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 }));
    return true;
  }
  // Hashed URLs never change content: let clients cache them.
  const immutable = url.searchParams.get('hash') === doc.hash;
  if (req.headers['if-none-match'] === doc.etag) {
    res.writeHead(304, { ETag: doc.etag });
    res.end();
    return true;
  }
  res.writeHead(200, {
    'Content-Type': 'application/json',
    ETag: doc.etag,
    'Cache-Control': immutable ? 'public, immutable' : 'no-cache, private',
    Expires: immutable ? new Date(Date.now() + 365 * 86400_000).toUTCString() : '0',
  });
  res.end(doc.body);
  return true;
}
