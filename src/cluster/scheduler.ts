// Runs the scheduler inside the server process with an in-process client and its own
// informer factory.
import { SharedInformerFactory } from '../client/index.js';
import type { ApiServer } from '../apiserver/server.js';
import { Scheduler, type SchedulerOptions } from '../scheduler/index.js';
import { logger } from '../util/log.js';
import { childSignal } from '../util/signal.js';
import { inProcessClient } from './controllers.js';

const log = logger('scheduler');

export async function runScheduler(api: ApiServer, parent: AbortSignal, opts: SchedulerOptions = {}): Promise<void> {
  // Every informer and the queue listen on the signal: give them their own, with room for all.
  const signal = childSignal(parent);
  const client = inProcessClient(api, 'system:kube-scheduler');
  const informers = new SharedInformerFactory(client);
  const scheduler = new Scheduler(client, informers, opts);
  const running = scheduler.run(signal).catch((err) => log.error({ err: String(err) }, 'scheduler stopped with an error'));
  await Promise.all([running, informers.start(signal)]);
}
