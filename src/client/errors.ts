// Errors a client call can fail with. A non-2xx answer becomes an ApiError: a
// StatusError (so code written against the machinery works unchanged) that also keeps the
// metav1.Status the server sent.
import { StatusError, type Status, type StatusReason } from '../machinery/errors.js';

const reasonByCode: Record<number, StatusReason> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 410: 'Gone', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

export class ApiError extends StatusError {
  constructor(readonly status: Status) {
    super(status.code, status.reason ?? '', status.message ?? `the server responded with status ${status.code}`, status.details);
    this.name = 'ApiError';
  }

  /** Builds the error for an HTTP answer; a body that is not a Status gets one synthesized from the code. */
  static fromResponse(code: number, body: Buffer | string): ApiError {
    let parsed: unknown;
    try { parsed = JSON.parse(body.toString()); } catch { /* not JSON */ }
    if (isStatus(parsed)) return new ApiError({ ...parsed, code: parsed.code || code });
    return ApiError.fromStatus(code, body.toString().trim());
  }

  static fromStatus(code: number, message: string): ApiError {
    return new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason: reasonByCode[code] ?? '', message: message || `the server responded with status ${code}` });
  }
}

export function isStatus(v: unknown): v is Status {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status';
}

/** Reason of an error; an unset reason falls back to the one its code implies (as upstream's ReasonForError does with codes). */
export function reasonOf(e: unknown): StatusReason | undefined {
  if (!(e instanceof StatusError)) return undefined;
  return e.reason || reasonByCode[e.code] || '';
}

export const isNotFound = (e: unknown) => reasonOf(e) === 'NotFound';
export const isConflict = (e: unknown) => reasonOf(e) === 'Conflict';
export const isAlreadyExists = (e: unknown) => reasonOf(e) === 'AlreadyExists';
export const isInvalid = (e: unknown) => reasonOf(e) === 'Invalid';
export const isForbidden = (e: unknown) => reasonOf(e) === 'Forbidden';
/** 410 in either spelling: Gone, or Expired (a compacted resourceVersion or continue token). */
export const isGone = (e: unknown) => e instanceof StatusError && (e.code === 410 || e.reason === 'Gone' || e.reason === 'Expired');
export const isResourceExpired = (e: unknown) => reasonOf(e) === 'Expired';
export const isTooManyRequests = (e: unknown) => reasonOf(e) === 'TooManyRequests';
