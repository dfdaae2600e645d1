import type { ChildProcess } from 'node:child_process';

/**
 * Every server process a bench starts. They are killed when the bench exits or is interrupted, so
 * no gateway, mock or reference outlives the run that measured it.
 */
const children = new Set<ChildProcess>();

function killAll(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

export interface TrackedChild {
  /** Resolves once the process has exited, however it ended. */
  exited: Promise<void>;
  /** SIGTERM, SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/** Registers a just-spawned child for the exit hook and gives it one way to stop. */
export function track(child: ChildProcess): TrackedChild {
  children.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  return {
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
