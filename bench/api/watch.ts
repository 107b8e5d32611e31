// A counting watch client: follows a Kubernetes watch stream (newline-delimited JSON) and
// counts the ADDED events for the benchmark's own objects (by namespace and name prefix),
// so objects other components create (e.g. per-namespace CA bundles) do not blur the check.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Target } from './load.js';

/** Splits a watch stream into events and counts them. Separate from I/O so it can be tested. */
export class EventCounter {
  added = 0;
  other = 0;
  lastAt = 0n;
  private tail = '';

  constructor(
    private readonly namespacePrefix: string,
    private readonly namePrefix: string,
  ) {}

  push(chunk: string): void {
    const lines = (this.tail + chunk).split('\n');
    this.tail = lines.pop() ?? '';
    for (const line of lines) if (line) this.line(line);
  }

  private line(line: string): void {
    // Servers put "type" first; parsing every 1 KiB event in the load generator would
    // steal CPU from the server on small machines, so fall back to JSON only if needed.
    const m = /^\{"type":"([A-Z]+)"/.exec(line);
    const type = m ? m[1] : (JSON.parse(line) as { type?: string }).type;
    if (type === 'ADDED' && line.includes(`"namespace":"${this.namespacePrefix}`) && line.includes(`"name":"${this.namePrefix}`)) {
      this.added++;
      this.lastAt = process.hrtime.bigint();
    } else if (type !== 'ADDED') this.other++;
  }
}

export class Watcher {
  readonly counter: EventCounter;
  /** Set when the stream ended or failed before close() was called. */
  failure?: string;
  private req?: ReturnType<typeof https.request>;
  private closed = false;

  constructor(namespacePrefix: string, namePrefix: string) {
    this.counter = new EventCounter(namespacePrefix, namePrefix);
  }

  /** Resolves once the server has answered the watch with 200 and the stream is open. */
  open(t: Target, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { hostname: t.url.hostname, port: t.url.port, path, agent: t.agent, headers: { accept: 'application/json' } },
        (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
            res.resume();
            return;
          }
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            try {
              this.counter.push(c);
            } catch (e) {
              this.fail(`bad watch event: ${e instanceof Error ? e.message : e}`);
            }
          });
          res.on('end', () => this.fail('watch stream ended'));
          res.on('error', (e) => this.fail(e.message));
          resolve();
        },
      );
      req.on('error', (e) => {
        this.fail(e.message);
        reject(e);
      });
      req.end();
      this.req = req;
    });
  }

  close(): void {
    this.closed = true;
    this.req?.destroy();
  }

  private fail(why: string): void {
    if (!this.closed) this.failure ??= why;
  }
}
