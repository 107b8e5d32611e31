// Pod and node addresses for simulated nodes. They are API data only: nothing here is
// ever configured on an interface.

export function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** First and last usable pod address of an IPv4 CIDR (network, gateway .1 and broadcast excluded, as host-local IPAM does). */
export function podRange(cidr: string): { first: number; last: number } | undefined {
  const [addr, bits] = cidr.split('/');
  const base = ipv4ToInt(addr ?? '');
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) return undefined;
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  return { first: network + 2, last: network + size - 2 };
}

/** InternalIP of simulated node i: 198.18.0.0/15 (RFC 2544 benchmarking space), from .0.1 up. */
export function nodeAddress(index: number): string {
  return intToIpv4(ipv4ToInt('198.18.0.0')! + 1 + (index % 131_070));
}

/**
 * The pod CIDR used when the node IPAM controller has not assigned one: 10.42.<i>.0/24 for
 * the first 256 nodes, then /24s from 10.44.0.0 on (10.43.0.0/16 is the service range).
 */
export function fallbackPodCIDR(index: number): string {
  if (index < 256) return `10.42.${index}.0/24`;
  return `${intToIpv4(ipv4ToInt('10.44.0.0')! + (index - 256) * 256)}/24`;
}

/** Pod addresses of one node: unique while held, reusable once released. */
export class PodAddresses {
  private readonly used = new Set<number>();
  private cursor = 0;

  get size(): number { return this.used.size; }

  /** A free address in cidr (next after the last one handed out, wrapping), or undefined when none is left. */
  allocate(cidr: string): string | undefined {
    const r = podRange(cidr);
    if (!r) return undefined;
    const n = r.last - r.first + 1;
    const start = this.cursor >= r.first && this.cursor <= r.last ? this.cursor : r.first;
    for (let k = 0; k < n; k++) {
      const ip = r.first + ((start - r.first + k) % n);
      if (this.used.has(ip)) continue;
      this.used.add(ip);
      this.cursor = ip === r.last ? r.first : ip + 1;
      return intToIpv4(ip);
    }
    return undefined;
  }

  /** Marks an address (found on a running pod) as taken. */
  reserve(ip: string): void {
    const n = ipv4ToInt(ip);
    if (n !== undefined) this.used.add(n);
  }

  release(ip: string): void {
    const n = ipv4ToInt(ip);
    if (n !== undefined) this.used.delete(n);
  }
}
