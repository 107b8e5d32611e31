// The transport-agnostic REST client contract. Everything above it (resource clients,
// informers, leader election, events) talks to a RestClient; HttpTransport reaches a
// server over HTTPS and FunctionTransport calls a handler in the same process.
import { ApiError, isStatus } from './errors.js';

export type Query = Readonly<Record<string, string | number | boolean | undefined | null>>;
export type Headers = Record<string, string | string[] | undefined>;

export interface RequestOptions {
  method: string;
  /** Absolute API path, e.g. /api/v1/namespaces/default/pods. */
  path: string;
  query?: Query;
  /** A Buffer or string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface RestResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T = unknown> {
  type: WatchEventType;
  /** The object, or a metav1.Status for ERROR. */
  object: T;
}

export interface RestClient {
  /** One request; the answer whatever its status (callers decide what an error is). */
  request(req: RequestOptions): Promise<RestResponse>;
  /**
   * A watch: newline-delimited JSON events. A non-2xx answer throws ApiError from the first
   * iteration step. The iteration ends when the server closes the stream or the signal aborts.
   */
  stream<T = unknown>(req: RequestOptions): AsyncIterable<WatchEvent<T>>;
}

/** What a transport sees: the request already encoded, as it would travel over HTTP. */
export interface TransportRequest {
  method: string;
  /** Path plus query string. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: Headers;
  /** Whole body, or the chunks of a streaming one. */
  body: Buffer | AsyncIterable<Uint8Array>;
  /**
   * A watch's events as objects, when the transport can hand them over without encoding
   * (in-process). Read this or body, not both. The objects are deep-frozen.
   */
  events?: AsyncIterable<WatchEvent[]>;
}

/** The in-process transport shape: the API server can answer requests without HTTP. */
export type TransportHandler = (req: TransportRequest) => Promise<TransportResponse>;

export function encodeUrl(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export function encodeRequest(req: RequestOptions, defaults: Record<string, string> = {}): TransportRequest {
  const headers: Record<string, string> = { ...defaults, Accept: req.accept ?? 'application/json' };
  let body: Buffer | undefined;
  if (req.body !== undefined) {
    body = Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
    headers['Content-Type'] = req.contentType ?? 'application/json';
  }
  return { method: req.method, url: encodeUrl(req.path, req.query), headers, body, signal: req.signal };
}

export async function collect(body: Buffer | AsyncIterable<Uint8Array>): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function* once(b: Buffer): AsyncIterable<Uint8Array> { yield b; }

async function* flatten<T>(batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch;
}

/** Iterates until the source ends or the signal aborts; abort ends quietly and closes the source. */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  // One abort listener for the whole iteration, waking whichever step is waiting. (Racing
  // each step against one long-lived promise would leave a reaction on it per step: a leak
  // on a watch that runs for hours.)
  let wake: ((r: 'aborted') => void) | undefined;
  const onAbort = () => wake?.('aborted');
  signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    for (;;) {
      if (signal?.aborted) return;
      const next = it.next();
      const r = await new Promise<IteratorResult<T> | 'aborted'>((resolve, reject) => {
        wake = resolve;
        next.then(resolve, reject);
      }).catch((e: unknown) => {
        if (signal?.aborted) return 'aborted' as const;
        finished = true;
        throw e;
      });
      wake = undefined;
      if (r === 'aborted') { next.catch(() => undefined); return; }
      if (r.done) { finished = true; return; }
      yield r.value;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Not awaited: a source parked in next() would hold return() until it produces.
    if (!finished) void it.return?.()?.catch(() => undefined);
  }
}

/** Splits a byte stream into newline-delimited JSON watch events, whatever the chunk boundaries. */
export async function* decodeWatchEvents<T>(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<WatchEvent<T>> {
  let pending = Buffer.alloc(0);
  const parse = (line: Buffer): WatchEvent<T> | undefined => {
    const text = line.toString('utf8').trim();
    if (!text) return undefined;
    const ev = JSON.parse(text) as WatchEvent<T>;
    if (typeof ev?.type !== 'string' || ev.object === undefined) throw new Error(`malformed watch event: ${text.slice(0, 200)}`);
    return ev;
  };
  for await (const chunk of chunks) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk);
    let nl: number;
    while ((nl = pending.indexOf(0x0a)) >= 0) {
      const ev = parse(pending.subarray(0, nl));
      pending = pending.subarray(nl + 1);
      if (ev) yield ev;
    }
  }
  const last = parse(pending);
  if (last) yield last;
}

/** Shared request/stream logic over a function that delivers encoded requests. */
export abstract class BaseRestClient implements RestClient {
  protected abstract send(req: TransportRequest): Promise<TransportResponse>;
  protected defaultHeaders: Record<string, string> = {};

  async request(req: RequestOptions): Promise<RestResponse> {
    const res = await this.send(encodeRequest(req, this.defaultHeaders));
    return { status: res.status, headers: res.headers, body: await collect(res.body) };
  }

  async *stream<T = unknown>(req: RequestOptions): AsyncIterable<WatchEvent<T>> {
    if (req.signal?.aborted) return;
    let res: TransportResponse;
    try {
      res = await this.send(encodeRequest(req, this.defaultHeaders));
    } catch (e) {
      if (req.signal?.aborted) return;
      throw e;
    }
    if (res.status < 200 || res.status > 299) {
      throw ApiError.fromResponse(res.status, await collect(res.body));
    }
    if (res.events) {
      yield* untilAborted(flatten(res.events as AsyncIterable<WatchEvent<T>[]>), req.signal);
      return;
    }
    const chunks = Buffer.isBuffer(res.body) ? once(res.body) : res.body;
    yield* untilAborted(decodeWatchEvents<T>(chunks), req.signal);
  }
}

/** Adapts a handler (for example the API server's, called directly) to a RestClient. */
export class FunctionTransport extends BaseRestClient {
  constructor(private readonly handler: TransportHandler, headers: Record<string, string> = {}) {
    super();
    this.defaultHeaders = headers;
  }
  protected send(req: TransportRequest): Promise<TransportResponse> { return this.handler(req); }
}

/** Parses a 2xx JSON body or throws ApiError; a 2xx Status body comes back as the Status. */
export function decodeResponse<T>(res: RestResponse): T {
  if (res.status < 200 || res.status > 299) throw ApiError.fromResponse(res.status, res.body);
  if (res.body.length === 0) return undefined as T;
  const v: unknown = JSON.parse(res.body.toString('utf8'));
  if (isStatus(v) && v.status === 'Failure') throw new ApiError(v);
  return v as T;
}
