// IPv4 addresses as unsigned 32-bit integers, and CIDR ranges over them: what allocators
// of service IPs and node pod CIDRs need. IPv4 only (the cluster is single-stack).
import { parseCIDR, parseIP } from '../../machinery/validation.js';

/** The address as an unsigned integer, or undefined when it is not dotted IPv4. */
export function ipv4ToInt(ip: string): number | undefined {
  const p = parseIP(ip);
  if (!p || p.bytes.length !== 4) return undefined;
  return ((p.bytes[0] << 24) >>> 0) + (p.bytes[1] << 16) + (p.bytes[2] << 8) + p.bytes[3];
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export interface Ipv4Range {
  /** Network address. */
  base: number;
  prefixLength: number;
  /** Number of addresses, network and broadcast included. */
  size: number;
}

export function parseIpv4Cidr(cidr: string): Ipv4Range | undefined {
  const c = parseCIDR(cidr);
  if (!c || c.network.length !== 4) return undefined;
  const base = ((c.network[0] << 24) >>> 0) + (c.network[1] << 16) + (c.network[2] << 8) + c.network[3];
  return { base, prefixLength: c.prefixLength, size: 2 ** (32 - c.prefixLength) };
}

export function rangeContains(r: Ipv4Range, ip: number): boolean {
  return ip >= r.base && ip < r.base + r.size;
}

export function formatIpv4Cidr(base: number, prefixLength: number): string {
  return `${intToIpv4(base)}/${prefixLength}`;
}
