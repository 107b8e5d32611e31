// Authentication: client certificates verified against the cluster CA by the TLS layer
// (CN is the user, O entries the groups) and bearer tokens from pluggable token
// authenticators. Authenticated users get the system:authenticated group.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../registry/store.js';

export type TokenAuthenticator = (token: string) => UserInfo | undefined | Promise<UserInfo | undefined>;

export class Authenticator {
  private tokenAuthenticators: TokenAuthenticator[] = [];
  /** Certificate identities per TLS connection: the peer certificate cannot change on a socket. */
  private certUsers = new WeakMap<TLSSocket, UserInfo | null>();

  addTokenAuthenticator(a: TokenAuthenticator): void {
    this.tokenAuthenticators.push(a);
  }

  /** The user behind a request, or undefined for anonymous. Throws on a bad token. */
  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const auth = req.headers.authorization;
    if (auth) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (m) {
        for (const a of this.tokenAuthenticators) {
          const u = await a(m[1]);
          if (u) return withAuthenticated(u);
        }
        return undefined;
      }
    }
    const sock = req.socket as TLSSocket;
    const known = this.certUsers.get(sock);
    if (known !== undefined) return known ?? undefined;
    const user = this.fromCertificate(sock);
    this.certUsers.set(sock, user ?? null);
    return user;
  }

  private fromCertificate(sock: TLSSocket): UserInfo | undefined {
    if (sock.encrypted && sock.authorized) {
      const cert = sock.getPeerCertificate();
      const subj = cert?.subject as unknown as Record<string, string | string[]> | undefined;
      const cn = subj?.CN;
      if (typeof cn === 'string' && cn) {
        const o = subj?.O;
        const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
        return withAuthenticated({ username: cn, groups });
      }
    }
    return undefined;
  }
}

function withAuthenticated(u: UserInfo): UserInfo {
  return u.groups.includes('system:authenticated') ? u : { ...u, groups: [...u.groups, 'system:authenticated'] };
}

/** A static token table (token -> user), as upstream's --token-auth-file. */
export function staticTokens(entries: Record<string, UserInfo>): TokenAuthenticator {
  const map = new Map(Object.entries(entries));
  return (t) => map.get(t);
}
