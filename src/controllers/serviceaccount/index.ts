// The ServiceAccount controller: every active namespace has a "default" ServiceAccount,
// recreated if deleted.
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import {
  ApiError, WorkQueue, isAlreadyExists, isNotFound, type GroupVersionResource, type Informer, type ResourceClient,
} from '../../client/index.js';
import type { Controller, ControllerContext, ControllerFactory } from '../context.js';

const NAMESPACES: GroupVersionResource = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const SERVICE_ACCOUNTS: GroupVersionResource = { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true };
const DEFAULT_NAME = 'default';

const terminating = (ns: Namespace | undefined): boolean => !ns || !!ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating';
const namespaceTerminating = (e: unknown): boolean =>
  e instanceof ApiError && !!e.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');

class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount';
  private readonly queue: WorkQueue<string>;
  private readonly saClient: ResourceClient<ServiceAccount>;
  private nsInf!: Informer<Namespace>;
  private saInf!: Informer<ServiceAccount>;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue({ clock: ctx.clock, name: 'serviceaccount' });
    this.saClient = ctx.client.resource<ServiceAccount>(SERVICE_ACCOUNTS);
  }

  async run(signal: AbortSignal): Promise<void> {
    this.nsInf = this.ctx.informers.informerFor<Namespace>(NAMESPACES);
    this.saInf = this.ctx.informers.informerFor<ServiceAccount>(SERVICE_ACCOUNTS);
    const add = (ns: Namespace) => this.queue.add(ns.metadata?.name ?? '');
    this.nsInf.addEventHandler({ onAdd: add, onUpdate: (_o, ns) => add(ns) });
    this.saInf.addEventHandler({
      onDelete: (sa) => { if (sa.metadata?.name === DEFAULT_NAME) this.queue.add(sa.metadata?.namespace ?? ''); },
    });
    if (!(await this.ctx.informers.waitForSync(signal))) return;
    await this.queue.runWorkers(this.ctx.options.workers, (ns) => this.sync(ns), signal);
  }

  private async sync(namespace: string): Promise<void> {
    if (terminating(this.nsInf.lister.get('', namespace)) || this.saInf.lister.get(namespace, DEFAULT_NAME)) return;
    try {
      await this.saClient.create(namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_NAME, namespace } });
    } catch (e) {
      if (isAlreadyExists(e) || isNotFound(e) || namespaceTerminating(e)) return;
      throw e;
    }
  }
}

export const serviceAccountController: ControllerFactory = (ctx) => new ServiceAccountController(ctx);
