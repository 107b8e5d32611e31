// Node IPAM (upstream's range allocator): every node gets spec.podCIDR/podCIDRs, a /24
// out of --cluster-cidr; CIDRs of existing nodes are marked used at start and a deleted
// node's CIDR is freed.
import type { Node } from 'kubernetes-types/core/v1.js';
import { WorkQueue, isNotFound, type GroupVersionResource } from '../../client/index.js';
import { formatIpv4Cidr, ipv4ToInt, parseIpv4Cidr, rangeContains, type Ipv4Range } from '../../api/helpers/ipv4.js';
import type { Controller, ControllerContext } from '../context.js';

const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes', namespaced: false };

/** --node-cidr-mask-size for IPv4. */
export const NODE_CIDR_MASK = 24;

/** The /mask blocks of a cluster CIDR, handed out lowest free first. */
export class CidrSet {
  private readonly used = new Set<number>();
  readonly count: number;
  private readonly step: number;

  constructor(readonly range: Ipv4Range, readonly mask = NODE_CIDR_MASK) {
    if (mask < range.prefixLength) throw new Error(`node CIDR mask /${mask} is larger than the cluster CIDR`);
    this.step = 2 ** (32 - mask);
    this.count = 2 ** (mask - range.prefixLength);
  }

  /** Index of the block a CIDR string names, or undefined when it is not one of ours. */
  indexOf(cidr: string): number | undefined {
    const r = parseIpv4Cidr(cidr);
    if (!r || r.prefixLength !== this.mask || !rangeContains(this.range, r.base)) return undefined;
    return (r.base - this.range.base) / this.step;
  }

  occupy(cidr: string): void { const i = this.indexOf(cidr); if (i !== undefined) this.used.add(i); }
  release(cidr: string): void { const i = this.indexOf(cidr); if (i !== undefined) this.used.delete(i); }

  allocateNext(): string | undefined {
    for (let i = 0; i < this.count; i++) {
      if (!this.used.has(i)) { this.used.add(i); return formatIpv4Cidr(this.range.base + i * this.step, this.mask); }
    }
    return undefined;
  }
}

export function newNodeIpamController(ctx: ControllerContext): Controller {
  return {
    name: 'nodeipam',
    async run(signal) {
      const range = parseIpv4Cidr(ctx.options.clusterCidr);
      if (!range || ipv4ToInt(ctx.options.clusterCidr.split('/')[0]) === undefined) throw new Error(`invalid --cluster-cidr ${ctx.options.clusterCidr}`);
      const nodes = ctx.informers.informerFor<Node>(NODES);
      const client = ctx.client.resource<Node>(NODES);
      const recorder = ctx.recorder('cidrAllocator');
      const set = new CidrSet(range);
      // CIDRs this controller gave out, by node name, until the node is deleted.
      const given = new Map<string, string>();
      const queue = new WorkQueue<string>({ name: 'nodeipam', clock: ctx.clock });
      // Nodes waiting for a CIDR while the range is exhausted: retried when one is released,
      // not in a loop (upstream records CIDRNotAvailable once and waits likewise).
      const starved = new Set<string>();
      const wake = () => { for (const n of starved) queue.add(n); starved.clear(); };
      nodes.addEventHandler({
        onAdd: (n) => { if (n.spec?.podCIDR) set.occupy(n.spec.podCIDR); else queue.add(n.metadata!.name!); },
        onUpdate: (_o, n) => { if (n.spec?.podCIDR) set.occupy(n.spec.podCIDR); else if (!starved.has(n.metadata!.name!)) queue.add(n.metadata!.name!); },
        onDelete: (n) => {
          const cidr = n.spec?.podCIDR ?? given.get(n.metadata!.name!);
          starved.delete(n.metadata!.name!);
          if (cidr) { set.release(cidr); wake(); }
          given.delete(n.metadata!.name!);
        },
      });
      if (!(await ctx.informers.waitForSync(signal))) return;
      await queue.runWorkers(ctx.options.workers, async (name) => {
        const node = nodes.lister.get('', name);
        if (!node || node.spec?.podCIDR) return;
        let cidr = given.get(name);
        if (!cidr) {
          cidr = set.allocateNext();
          if (!cidr) {
            if (!starved.has(name)) recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
            starved.add(name);
            return;
          }
          given.set(name, cidr);
        }
        try {
          await client.patch('', name, 'merge', { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
        } catch (e) {
          if (isNotFound(e)) { set.release(cidr); given.delete(name); return; }
          throw e;
        }
      }, signal);
    },
  };
}
