// AbortSignal helpers.
import { setMaxListeners } from 'node:events';

/**
 * A signal that aborts with `parent`, for a component that hangs many listeners on it
 * (every informer, queue and timer): Node warns past 10 listeners on one signal, so the
 * child has no such limit and the parent keeps its own.
 */
export function childSignal(parent: AbortSignal): AbortSignal {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  if (parent.aborted) ac.abort();
  else parent.addEventListener('abort', () => ac.abort(), { once: true });
  return ac.signal;
}
