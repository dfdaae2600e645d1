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
