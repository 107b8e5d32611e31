// Kubernetes metav1.Status errors and field-level validation errors.
// Every error a client sees is a StatusError rendered as a Status object.

export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict'
  | 'Invalid' | 'Gone' | 'Expired' | 'MethodNotAllowed' | 'NotAcceptable' | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge' | 'TooManyRequests' | 'InternalError' | 'Timeout' | 'ServiceUnavailable'
  | 'ServerTimeout' | '';

export interface StatusCause { reason?: string; message?: string; field?: string }

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  constructor(public code: number, public reason: StatusReason, message: string, public details?: StatusDetails) {
    super(message);
  }
  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** "deployments.apps" style qualified resource name used in messages. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  badRequest: (msg: string) => new StatusError(400, 'BadRequest', msg),
  unauthorized: (msg = 'Unauthorized') => new StatusError(401, 'Unauthorized', msg),
  forbidden: (msg: string, details?: StatusDetails) => new StatusError(403, 'Forbidden', msg, details),
  notFound: (resource: string, group: string, name: string) =>
    new StatusError(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, { name, group: group || undefined, kind: resource }),
  notFoundPath: (msg = 'the server could not find the requested resource') => new StatusError(404, 'NotFound', msg, {}),
  alreadyExists: (resource: string, group: string, name: string) =>
    new StatusError(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group: group || undefined, kind: resource }),
  conflict: (resource: string, group: string, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, { name, group: group || undefined, kind: resource }),
  gone: (msg: string) => new StatusError(410, 'Expired', msg),
  methodNotAllowed: (msg: string) => new StatusError(405, 'MethodNotAllowed', msg),
  notAcceptable: (msg: string) => new StatusError(406, 'NotAcceptable', msg),
  unsupportedMediaType: (msg: string) => new StatusError(415, 'UnsupportedMediaType', msg),
  tooLarge: (msg: string) => new StatusError(413, 'RequestEntityTooLarge', msg),
  tooManyRequests: (msg: string, retryAfterSeconds?: number) => new StatusError(429, 'TooManyRequests', msg, retryAfterSeconds ? { retryAfterSeconds } : undefined),
  internal: (msg: string) => new StatusError(500, 'InternalError', msg),
  timeout: (msg: string) => new StatusError(504, 'Timeout', msg),
};

/** Upstream field.ErrorType values, as they appear in Status causes[].reason. */
export type FieldErrorType =
  | 'FieldValueNotFound' | 'FieldValueRequired' | 'FieldValueDuplicate' | 'FieldValueInvalid'
  | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany'
  | 'InternalError' | 'FieldValueTypeInvalid';

export interface FieldError { type: FieldErrorType; field: string; message: string }

function renderValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Constructors that produce upstream's wording: "Invalid value: -1: must be greater than or equal to 0". */
export const field = {
  required: (path: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field: path, message: detail ? `Required value: ${detail}` : 'Required value' }),
  invalid: (path: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field: path, message: `Invalid value: ${renderValue(value)}${detail ? `: ${detail}` : ''}` }),
  notSupported: (path: string, value: unknown, valid: string[]): FieldError => ({ type: 'FieldValueNotSupported', field: path, message: `Unsupported value: ${renderValue(value)}: supported values: ${valid.map((v) => `"${v}"`).join(', ')}` }),
  duplicate: (path: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: path, message: `Duplicate value: ${renderValue(value)}` }),
  forbidden: (path: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: path, message: `Forbidden: ${detail}` }),
  tooLong: (path: string, value: unknown, max: number): FieldError => ({ type: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${max} bytes` }),
  tooMany: (path: string, actual: number, max: number): FieldError => ({ type: 'FieldValueTooMany', field: path, message: `Too many: ${actual}: must have at most ${max} items` }),
  notFound: (path: string, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field: path, message: `Not found: ${renderValue(value)}` }),
  typeInvalid: (path: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field: path, message: `Invalid value: ${renderValue(value)}: ${detail}` }),
};

/** 422 Invalid built from field errors, worded as upstream: `Kind "name" is invalid: [a, b]`. */
export function invalidError(kind: string, group: string, name: string, errs: FieldError[]): StatusError {
  const parts = errs.map((e) => `${e.field}: ${e.message}`);
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new StatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    name, group: group || undefined, kind,
    causes: errs.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
  });
}
