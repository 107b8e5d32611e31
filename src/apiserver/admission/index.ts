// Admission plugins the API server runs on writes, after validation and before
// persisting (see Admit in ../registry/store.ts). Mutating plugins come first, then the
// validating ones, then allocation, in upstream's order.
import type { ApiServer } from '../server.js';
import type { Admit } from '../registry/store.js';
import { defaultTolerationSeconds } from './defaulttolerations.js';
import { limitRanger } from './limitranger.js';
import { priorityAdmission } from './priority.js';
import { resourceQuota } from './resourcequota.js';
import { serviceAccountAdmission, type ServiceAccountAdmissionOptions } from './serviceaccount.js';
import { ServiceAllocator, type ServiceAllocatorOptions } from './serviceips.js';

export {
  defaultTolerationSeconds, limitRanger, priorityAdmission, resourceQuota, serviceAccountAdmission, ServiceAllocator,
  type ServiceAccountAdmissionOptions, type ServiceAllocatorOptions,
};

/** Runs plugins in order; the first to throw rejects the request. */
export function admissionChain(plugins: Admit[]): Admit {
  return async (op, res, obj, old, ctx) => {
    for (const p of plugins) await p(op, res, obj, old, ctx);
  };
}

/** LimitRanger, ServiceAccount, Priority, DefaultTolerationSeconds, ResourceQuota and service IP/port allocation. */
export function clusterAdmission(server: () => ApiServer, o: Omit<ServiceAllocatorOptions, 'now'> & { now?: () => number }): Admit[] {
  const allocator = new ServiceAllocator(() => server().storeFor('', 'services')?.cache, o);
  const now = o.now ?? Date.now;
  return [limitRanger(server), serviceAccountAdmission(server), priorityAdmission(server), defaultTolerationSeconds(), resourceQuota(server, now), allocator.admit];
}
