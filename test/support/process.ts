import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

/**
 * The real gateway process, started the way `npm start` starts it (`node --import tsx src/main.ts`)
 * with only the environment a test gives it. Every child a suite started is killed after it.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  child: ChildProcess;
  /** Output chunks as they arrived. */
  stdout: string[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

/**
 * Spawns the gateway with only this environment (plus PATH and HOME); `preload` modules are
 * imported before src/main.ts (`node --import`).
 */
export function startProcess(env: Record<string, string>, options: { preload?: string[] } = {}): Run {
  // Embedded simulators on free ports too, so parallel suites (and a running `npm start`) never collide.
  const base = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? ROOT,
    ELEPAY_SANDBOX_PORT: '0',
    ELOPAGE_SANDBOX_PORT: '0',
  };
  const preload = (options.preload ?? []).flatMap((module) => ['--import', module]);
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, 'src/main.ts'], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const run: Run = {
    child,
    stdout: [],
    stderr: [],
    exit: once(child, 'exit').then(([code, signal]) => ({ code, signal })),
  };
  const collect = (into: string[]) => (chunk: Buffer) => into.push(chunk.toString('utf8'));
  child.stdout?.on('data', collect(run.stdout));
  child.stderr?.on('data', collect(run.stderr));
  return run;
}

/** The complete JSON log lines the process has written so far (the last piece may still be on its way). */
export function logLines(run: Run): Record<string, unknown>[] {
  return run.stdout
    .join('')
    .split('\n')
    .slice(0, -1)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Resolves with the first JSON log line that has a `graphiql` field; rejects if the process exits. */
export function banner(run: Run): Promise<{ graphiql: string; msg: string }> {
  return new Promise((resolve, reject) => {
    const look = () => {
      const found = logLines(run).find((line) => typeof line.graphiql === 'string');
      if (found) resolve({ graphiql: String(found.graphiql), msg: String(found.msg) });
    };
    run.child.stdout?.on('data', look);
    look();
    void run.exit.then(({ code }) => reject(new Error(`exited with ${code}: ${run.stderr.join('')}`)));
  });
}
