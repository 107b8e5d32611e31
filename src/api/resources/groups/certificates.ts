// certificates.k8s.io/v1: CertificateSigningRequest.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { humanDuration } from '../../../machinery/duration.js';
import { isDNS1123Subdomain } from '../../../machinery/validation.js';
import { AGE, age, asObjs, asStr, col, isSet, readSpec, readStatus } from './util.js';

const USAGES = [
  'any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only',
  'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement',
  'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping',
];
const MIN_EXPIRATION_SECONDS = 600;
const PEM_CSR = /-----BEGIN CERTIFICATE REQUEST-----/;

/** The PEM text of spec.request (base64 in JSON); "" when it does not decode. */
function requestPEM(request: unknown): string {
  try {
    return atob(asStr(request));
  } catch {
    return '';
  }
}

/** Upstream ValidateSignerName: "<domain>/<path>" with a DNS subdomain before the slash. */
function validateSignerName(name: string): FieldError[] {
  if (!name) return [field.required('spec.signerName', '')];
  const parts = name.split('/');
  if (parts.length !== 2) return [field.invalid('spec.signerName', name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const domain = parts[0];
  return isDNS1123Subdomain(domain).map((m) => field.invalid('spec.signerName', domain, m));
}

function validateCSR(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const errs: FieldError[] = [];
  if (!PEM_CSR.test(requestPEM(spec.request))) errs.push(field.invalid('spec.request', spec.request ?? null, 'PEM block type must be CERTIFICATE REQUEST'));
  const usages = Array.isArray(spec.usages) ? spec.usages : [];
  if (usages.length === 0) errs.push(field.required('spec.usages', ''));
  const seen = new Set<unknown>();
  usages.forEach((u, i) => {
    if (!USAGES.includes(asStr(u))) errs.push(field.notSupported(`spec.usages[${i}]`, u, USAGES));
    if (seen.has(u)) errs.push(field.duplicate(`spec.usages[${i}]`, u));
    seen.add(u);
  });
  if (spec.signerName === 'kubernetes.io/legacy-unknown') {
    errs.push(field.invalid('spec.signerName', spec.signerName, 'the legacy signerName is not allowed via this API version'));
  } else {
    errs.push(...validateSignerName(asStr(spec.signerName)));
  }
  if (typeof spec.expirationSeconds === 'number' && spec.expirationSeconds < MIN_EXPIRATION_SECONDS) {
    errs.push(field.invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  return errs;
}

/** The CONDITION cell: Approved/Denied/Pending, then ",Failed" and ",Issued" when they apply. */
function csrCondition(obj: KObject): string {
  const status = readStatus(obj);
  const types = new Set(asObjs(status.conditions).map((c) => c.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (asStr(status.certificate)) s += ',Issued';
  return s;
}

const certificateSigningRequests: ResourceStrategy = {
  group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest', plural: 'certificatesigningrequests', singular: 'certificatesigningrequest',
  namespaced: false, shortNames: ['csr'], subresources: { status: true }, generation: false,
  // Requests cannot be created pre-approved or pre-signed.
  prepareForCreate(obj) { obj.status = {}; },
  // The spec is fixed at creation and the status belongs to the /status and /approval writers.
  prepareForUpdate(obj, old) {
    obj.spec = old.spec;
    obj.status = old.status;
  },
  validate: validateCSR,
  validateUpdate: validateCSR,
  columns: [
    AGE,
    col('SignerName', 'string', 'The requested signer.'),
    col('Requestor', 'string', 'The user that created the request.'),
    col('RequestedDuration', 'string', 'The requested duration of validity of the issued certificate.'),
    col('Condition', 'string', 'Whether the request was approved, denied or issued.'),
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    const duration = isSet(spec.expirationSeconds) ? humanDuration(Number(spec.expirationSeconds) * 1000) : '<none>';
    return [age(obj, ctx), asStr(spec.signerName) || '<none>', asStr(spec.username), duration, csrCondition(obj)];
  },
  fieldSelectors: { 'spec.signerName': (obj) => asStr(readSpec(obj).signerName) },
};

export const certificatesResources: ResourceStrategy[] = [certificateSigningRequests];
