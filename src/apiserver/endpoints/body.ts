// Reading and decoding request bodies: size limits, JSON, YAML and kubectl 1.32's
// protobuf envelope. Every failure is a StatusError, never a crash.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { decodeProtobufObject } from '../../api/schema/protobuf.js';
import { errors } from '../../machinery/errors.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(errors.tooLarge(`Request entity too large: limit is ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(errors.tooLarge(`Request entity too large: limit is ${limit}`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => { if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)); });
    req.on('error', (e) => { if (!failed) { failed = true; reject(errors.badRequest(`error reading request body: ${e.message}`)); } });
  });
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Decodes an object body (create/update) by media type into a plain JSON value. */
export function decodeObjectBody(buf: Buffer, contentType: string | undefined): unknown {
  const mt = mediaType(contentType);
  if (mt === 'application/vnd.kubernetes.protobuf') {
    try {
      return decodeProtobufObject(buf).object;
    } catch (e) {
      throw errors.badRequest(`unable to decode protobuf body: ${(e as Error).message}`);
    }
  }
  if (mt === 'application/yaml' || mt === 'application/apply-patch+yaml' || mt === 'application/x-yaml') return decodeYaml(buf);
  if (mt === '' || mt === 'application/json' || mt.endsWith('+json') || mt === '*/*') return decodeJson(buf);
  throw errors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
}

export function decodeJson(buf: Buffer): unknown {
  if (buf.length === 0) throw errors.badRequest('the request body is empty; an object is required');
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

export function decodeYaml(buf: Buffer): unknown {
  try {
    return parseYaml(buf.toString('utf8'), { maxAliasCount: 100 });
  } catch (e) {
    throw errors.badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
