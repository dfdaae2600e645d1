/**
 * Polls `attempt` until `done` accepts its result, for tests that wait for a state rather than a
 * time. The deadline only bounds a hang; the error names what never happened and the last value.
 */
export async function until<T>(
  attempt: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `pending`'s value, or an error naming `what` once `limitMs` has passed: a guard that turns a hang
 * into a failure. The limit is generous on purpose (several times what it should take on a loaded
 * machine); it bounds, it does not measure.
 */
export async function within<T>(limitMs: number, what: string, pending: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${limitMs} ms`)), limitMs);
  });
  try {
    return await Promise.race([pending, hang]);
  } finally {
    clearTimeout(timer);
  }
}
