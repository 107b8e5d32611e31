// The in-process transport: components in the server process use the same REST client
// as remote ones, but requests go straight to the API server's handler with no socket,
// TLS or HTTP parsing. Streaming responses are handed over chunk by chunk; watch events
// go over as the watch cache's frozen objects, with no JSON on either side.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { TransportHandler, TransportRequest, TransportResponse, WatchEvent } from '../client/transport.js';
import type { WatchEventObject } from './endpoints/watch.js';
import type { UserInfo } from './registry/store.js';
import type { ApiServer } from './server.js';

/** Just enough of ServerResponse for the handlers: status, headers, writes, close. */
class LocalResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableLength = 0;
  private headers: Record<string, string | string[]> = {};
  private chunks: Buffer[] = [];
  private streaming?: { push: (c: Buffer | WatchEventObject[] | null) => void };
  private ended = false;

  constructor(private deliver: (r: TransportResponse) => void) {
    super();
  }

  writeHead(code: number, headers?: Record<string, string | string[]>): this {
    this.statusCode = code;
    if (headers) for (const [k, v] of Object.entries(headers)) this.headers[k.toLowerCase()] = v;
    this.headersSent = true;
    return this;
  }

  setHeader(k: string, v: string | string[]): void {
    this.headers[k.toLowerCase()] = v;
  }

  /**
   * A handler that flushes headers early is streaming: hand the body over as it comes, as
   * bytes or, for watches, as event objects (the client reads whichever it prefers).
   */
  flushHeaders(): void {
    if (this.streaming) return;
    const queue: (Buffer | WatchEventObject[] | null)[] = [...this.chunks];
    this.chunks = [];
    let wake: (() => void) | undefined;
    this.streaming = { push: (c) => { queue.push(c); wake?.(); } };
    const self = this;
    async function* items(): AsyncGenerator<Buffer | WatchEventObject[]> {
      try {
        for (;;) {
          while (queue.length) {
            const c = queue.shift()!;
            if (c === null) return;
            yield c;
          }
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      } finally {
        // The consumer stopped reading: the request is over for the handler too.
        self.emit('close');
      }
    }
    async function* body(): AsyncGenerator<Uint8Array> {
      for await (const c of items()) yield Buffer.isBuffer(c) ? c : Buffer.from(c.map((e) => `${JSON.stringify(e)}\n`).join(''));
    }
    async function* events(): AsyncGenerator<WatchEvent[]> {
      for await (const c of items()) {
        if (!Buffer.isBuffer(c)) yield c as WatchEvent[];
        else yield c.toString('utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as WatchEvent);
      }
    }
    this.deliver({ status: this.statusCode, headers: this.headers, body: body(), events: events() });
  }

  /** The watch handler's in-process lane (WatchEventSink). */
  writeWatchEvents(events: WatchEventObject[]): void {
    if (this.ended) return;
    if (this.streaming) this.streaming.push(events);
    else this.chunks.push(Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join('')));
  }

  write(chunk: string | Buffer): boolean {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.streaming) this.streaming.push(b);
    else this.chunks.push(b);
    return true;
  }

  end(chunk?: string | Buffer): this {
    if (this.ended) return this;
    this.ended = true;
    if (chunk !== undefined) this.write(chunk);
    if (this.streaming) this.streaming.push(null);
    else this.deliver({ status: this.statusCode, headers: this.headers, body: Buffer.concat(this.chunks) });
    this.emit('finish');
    this.emit('close');
    return this;
  }

  destroy(): void {
    this.end();
  }
}

/** A TransportHandler that serves requests as `user` without leaving the process. */
export function inProcessHandler(api: ApiServer, user: UserInfo): TransportHandler {
  return (t: TransportRequest) =>
    new Promise<TransportResponse>((resolve) => {
      const req = Readable.from(t.body ? [t.body] : []) as unknown as IncomingMessage;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(t.headers)) headers[k.toLowerCase()] = v;
      if (t.body) headers['content-length'] = String(t.body.length);
      Object.assign(req, { method: t.method, url: t.url, headers, socket: {} });
      const res = new LocalResponse(resolve);
      t.signal?.addEventListener('abort', () => { req.emit('close'); res.end(); }, { once: true });
      void api.handle(req, res as unknown as ServerResponse, user);
    });
}
