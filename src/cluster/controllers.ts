// Runs the controller manager inside the server process: an in-process client (no HTTP),
// one shared informer factory and event broadcaster, and every controller of
// src/controllers/index.ts (unless disabled).
import { Client, EventBroadcaster, FunctionTransport, SharedInformerFactory } from '../client/index.js';
import { inProcessHandler } from '../apiserver/inprocess.js';
import type { ApiServer } from '../apiserver/server.js';
import { CONTROLLERS, DEFAULT_CONTROLLER_OPTIONS, type ControllerContext, type ControllerOptions } from '../controllers/index.js';
import { realClock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { childSignal } from '../util/signal.js';

const log = logger('controller-manager');

/** An in-process client acting as `username` with full access. */
export function inProcessClient(api: ApiServer, username: string): Client {
  return new Client(new FunctionTransport(inProcessHandler(api, { username, groups: ['system:masters', 'system:authenticated'] })));
}

export async function runControllers(api: ApiServer, parent: AbortSignal, opts: Partial<ControllerOptions> = {}, disabled: string[] = []): Promise<void> {
  // Every controller, informer and queue listens on the signal: give them their own, with room for all.
  const signal = childSignal(parent);
  const client = inProcessClient(api, 'system:kube-controller-manager');
  const informers = new SharedInformerFactory(client);
  const events = new EventBroadcaster(client);
  const ctx: ControllerContext = {
    client,
    informers,
    recorder: (component) => events.newRecorder({ component }),
    clock: realClock,
    options: { ...DEFAULT_CONTROLLER_OPTIONS, ...opts },
  };
  const running = Object.entries(CONTROLLERS)
    .filter(([name]) => !disabled.includes(name))
    .map(([name, make]) => {
      const c = make(ctx);
      log.info({ controller: name }, 'starting');
      return c.run(signal).catch((err) => log.error({ controller: name, err: String(err) }, 'controller stopped with an error'));
    });
  // Controllers registered their informers synchronously in run(); start them all now.
  const inf = informers.start(signal);
  await Promise.all([...running, inf]);
  events.shutDown();
  await events.flush();
}
