// Polls a condition until it holds or a real-time deadline passes (tests never sleep for state).
export async function eventually(cond: () => boolean | Promise<boolean>, message = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets pending promise continuations and I/O callbacks run. */
export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
