// HTTP(S) request helper, closed-loop load generator and latency statistics for the API
// benchmark. Node built-ins only.
import http from 'node:http';
import https from 'node:https';

export interface Reply {
  status: number;
  bytes: number;
  /** Present when asked for, or when the status is not 2xx (for error messages). */
  body?: Buffer;
}

export interface Target {
  url: URL;
  agent: http.Agent;
}

/** Requests never hang longer than this; a stuck request fails the benchmark instead. */
const REQUEST_TIMEOUT_MS = 30_000;

export function send(t: Target, method: string, path: string, body?: Buffer, keepBody = false): Promise<Reply> {
  const mod = t.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      {
        protocol: t.url.protocol,
        hostname: t.url.hostname,
        port: t.url.port,
        method,
        path,
        agent: t.agent,
        headers: body
          ? { 'content-type': 'application/json', accept: 'application/json', 'content-length': body.length }
          : { accept: 'application/json' },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const keep = keepBody || status < 200 || status > 299;
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (keep) chunks.push(c);
        });
        res.on('end', () => resolve({ status, bytes, body: keep ? Buffer.concat(chunks) : undefined }));
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path}: no reply in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export interface LoadResult {
  concurrency: number;
  /** Requests that completed with the expected status. */
  ok: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Runs `count` operations from `concurrency` closed loops (each starts its next operation
 * when the previous one ends) and stops early once `maxMs` has passed. `op(i)` resolves
 * to an error message, or undefined on success; only successful operations count toward
 * the rate and the latency percentiles.
 */
export async function runLoad(
  concurrency: number,
  count: number,
  maxMs: number,
  op: (i: number) => Promise<string | undefined>,
): Promise<LoadResult> {
  const latencies = new Float64Array(count);
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(maxMs) * 1_000_000n;
  const worker = async () => {
    while (next < count && process.hrtime.bigint() < deadline) {
      const i = next++;
      const s = process.hrtime.bigint();
      let err: string | undefined;
      try {
        err = await op(i);
      } catch (e) {
        err = e instanceof Error ? e.message : String(e);
      }
      if (err === undefined) latencies[ok++] = Number(process.hrtime.bigint() - s) / 1e6;
      else {
        errors++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const sorted = latencies.subarray(0, ok).sort();
  return {
    concurrency,
    ok,
    errors,
    firstError,
    elapsedMs,
    perSecond: ok / (elapsedMs / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}

/** Nearest-rank percentile of ascending `sorted`; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Resolves once `cond()` holds, polling every few milliseconds; false if `maxMs` passes first. */
export async function until(cond: () => boolean, maxMs: number, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}
