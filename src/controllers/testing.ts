// Test harness for one controller against the fake API: a shared informer factory, a
// recorder collecting "Reason: message" lines, and a stop() that waits for shutdown.
import { SharedInformerFactory, type EventRecorder } from '../client/index.js';
import { FakeApi } from '../client/testing/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerFactory } from './context.js';

export function runController(factory: ControllerFactory, opts: { clock?: Clock; workers?: number } = {}) {
  const clock = opts.clock ?? realClock;
  const api = new FakeApi(opts.clock ? { clock: opts.clock } : {});
  const events: string[] = [];
  const recorder: EventRecorder = { event: (_o, _t, reason, msg) => { events.push(`${reason}: ${msg}`); } };
  const ac = new AbortController();
  const informers = new SharedInformerFactory(api.client);
  const ctl = factory({ client: api.client, informers, recorder: () => recorder, clock, options: { ...DEFAULT_CONTROLLER_OPTIONS, workers: opts.workers ?? DEFAULT_CONTROLLER_OPTIONS.workers } });
  const running = Promise.all([ctl.run(ac.signal), informers.start(ac.signal)]);
  const stop = async () => { ac.abort(); await running; };
  return { api, events, stop };
}
