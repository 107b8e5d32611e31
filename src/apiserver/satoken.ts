// Service-account tokens: ES256 JWTs with upstream's claims, issued by TokenRequest and
// accepted by the authenticator while the service account (and bound object) exists.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { UserInfo } from './registry/store.js';

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti?: string;
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string }; pod?: { name: string; uid: string } };
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class ServiceAccountTokens {
  private priv: KeyObject;
  private pub: KeyObject;

  constructor(privateKeyPem: string, private lookupUid: (namespace: string, name: string) => string | undefined) {
    this.priv = createPrivateKey(privateKeyPem);
    this.pub = createPublicKey(this.priv);
  }

  issue(claims: Omit<TokenClaims, 'iss' | 'iat' | 'nbf'>, nowSec: number): string {
    const full: TokenClaims = { iss: ISSUER, iat: nowSec, nbf: nowSec, ...claims };
    const head = b64u(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: 'kite' }));
    const body = b64u(JSON.stringify(full));
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.priv, dsaEncoding: 'ieee-p1363' });
    return `${head}.${body}.${b64u(sig)}`;
  }

  /** Verifies signature, time and that the service account still exists with that uid. */
  authenticate(token: string, nowSec = Math.floor(Date.now() / 1000)): UserInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
    if (!ok) return undefined;
    let c: TokenClaims;
    try {
      c = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as TokenClaims;
    } catch {
      return undefined;
    }
    if (c.iss !== ISSUER || c.exp < nowSec || c.nbf > nowSec + 60) return undefined;
    const k = c['kubernetes.io'];
    if (!k?.serviceaccount) return undefined;
    if (this.lookupUid(k.namespace, k.serviceaccount.name) !== k.serviceaccount.uid) return undefined;
    return {
      username: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`,
      uid: k.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`],
    };
  }
}
