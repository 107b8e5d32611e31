// Cluster PKI: a long-lived CA (kept in the data dir), a serving certificate for the
// current addresses, client certificates (CN user, O groups) and the
// service-account signing key. ECDSA P-256 throughout: fast to generate, accepted by Go
// and Node TLS stacks.
import { webcrypto, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type * as X509 from '@peculiar/x509';
import { writeFileAtomic } from '../util/fs.js';

let x509lib: typeof X509 | undefined;

/**
 * The X.509 generator is loaded only when a certificate must be issued: a restart that
 * reuses its certificates never pays for it (memory matters for an idle server).
 */
async function x509lib_(): Promise<typeof X509> {
  if (!x509lib) {
    // @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
    await import('reflect-metadata');
    x509lib = await import('@peculiar/x509');
    x509lib.cryptoProvider.set(webcrypto as unknown as Parameters<typeof X509.cryptoProvider.set>[0]);
  }
  return x509lib;
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

export interface KeyPairPem { cert: string; key: string }

export interface ClusterPki {
  ca: KeyPairPem;
  serving: KeyPairPem;
  admin: KeyPairPem;
  /** PEM keys for signing and verifying service-account tokens. */
  serviceAccount: { privateKey: string; publicKey: string };
  dir: string;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

async function exportKey(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

export async function createCA(commonName = 'kite-ca'): Promise<KeyPairPem> {
  const x509 = await x509lib_();
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3650 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

export interface IssueOptions {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  server?: boolean;
  client?: boolean;
  days?: number;
}

/** Issues a leaf certificate signed by the CA. */
export async function issue(ca: KeyPairPem, o: IssueOptions): Promise<KeyPairPem> {
  const x509 = await x509lib_();
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const keys = await newKeys();
  const now = Date.now();
  const usages: string[] = [];
  if (o.server) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (o.client) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  const sans = [...(o.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(o.ips ?? []).map((value) => ({ type: 'ip' as const, value }))];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  const subject = [`CN=${escapeRdn(o.commonName)}`, ...(o.organizations ?? []).map((org) => `O=${escapeRdn(org)}`)].join(', ');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + (o.days ?? 365) * DAY),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

function escapeRdn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

function readPair(dir: string, name: string): KeyPairPem | undefined {
  const c = join(dir, `${name}.crt`), k = join(dir, `${name}.key`);
  if (!existsSync(c) || !existsSync(k)) return undefined;
  return { cert: readFileSync(c, 'utf8'), key: readFileSync(k, 'utf8') };
}

function writePair(dir: string, name: string, p: KeyPairPem): void {
  writeFileAtomic(join(dir, `${name}.crt`), p.cert, 0o644);
  writeFileAtomic(join(dir, `${name}.key`), p.key, 0o600);
}

/** Whether an existing serving certificate is from this CA, valid for 30 more days and covers the SANs. */
function stillServes(p: KeyPairPem, ca: KeyPairPem, sans: { dnsNames: string[]; ips: string[] }): boolean {
  try {
    const cert = new X509Certificate(p.cert);
    if (!cert.verify(new X509Certificate(ca.cert).publicKey)) return false;
    if (Date.parse(cert.validTo) < Date.now() + 30 * DAY) return false;
    const have = new Set((cert.subjectAltName ?? '').split(',').map((s) => s.trim()));
    return sans.dnsNames.every((d) => have.has(`DNS:${d}`)) && sans.ips.every((ip) => have.has(`IP Address:${ip}`));
  } catch {
    return false;
  }
}

/**
 * Loads the PKI from `dir`, creating what is missing. The serving certificate is
 * re-issued when it no longer covers the given SANs or nears expiry; the CA, admin and
 * service-account keys persist.
 */
export async function ensurePki(dir: string, sans: { dnsNames: string[]; ips: string[] }): Promise<ClusterPki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (pkiComplete(dir, sans)) return ensurePkiHere(dir, sans);
  // Issuing needs the X.509 library, whose memory would stay with the server for good:
  // issue in a short-lived child process, then read the files it wrote.
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), dir, JSON.stringify(sans)], (err, _out, stderr) => {
      if (err) reject(new Error(`issuing certificates failed: ${stderr || err.message}`));
      else resolve();
    });
  });
  return ensurePkiHere(dir, sans);
}

/** Whether every file exists and the serving certificate still fits (nothing to issue). */
function pkiComplete(dir: string, sans: { dnsNames: string[]; ips: string[] }): boolean {
  const ca = readPair(dir, 'ca');
  const serving = readPair(dir, 'apiserver');
  return !!ca && !!serving && !!readPair(dir, 'admin') && existsSync(join(dir, 'sa.key')) && stillServes(serving, ca, sans);
}

// Run as a program (see ensurePki): `pki.js DIR SANS_JSON` writes what is missing.
if (process.argv[1] && process.argv[1] === fileURLToPath(import.meta.url)) {
  void ensurePkiHere(process.argv[2], JSON.parse(process.argv[3]) as { dnsNames: string[]; ips: string[] }).catch((err) => {
    process.stderr.write(String(err?.stack ?? err));
    process.exit(1);
  });
}

async function ensurePkiHere(dir: string, sans: { dnsNames: string[]; ips: string[] }): Promise<ClusterPki> {
  let ca = readPair(dir, 'ca');
  if (!ca) {
    ca = await createCA();
    writePair(dir, 'ca', ca);
  }
  let serving = readPair(dir, 'apiserver');
  if (!serving || !stillServes(serving, ca, sans)) {
    serving = await issue(ca, { commonName: 'kube-apiserver', dnsNames: sans.dnsNames, ips: sans.ips, server: true });
    writePair(dir, 'apiserver', serving);
  }
  let admin = readPair(dir, 'admin');
  if (!admin) {
    admin = await issue(ca, { commonName: 'kite-admin', organizations: ['system:masters'], client: true, days: 3650 });
    writePair(dir, 'admin', admin);
  }
  const saKey = join(dir, 'sa.key');
  if (!existsSync(saKey)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileAtomic(saKey, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
  }
  const privateKey = readFileSync(saKey, 'utf8');
  const publicKey = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
  return { ca, serving, admin, serviceAccount: { privateKey, publicKey }, dir };
}
