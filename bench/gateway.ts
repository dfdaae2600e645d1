import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { track } from './children.js';
import { sleep } from './stats.js';

/**
 * The gateway under test as a child process: `node --import tsx src/main.ts` from the repo root, on
 * its embedded simulators and in-memory event log. Every child is killed when the bench exits.
 */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEBHOOK_SECRET = 'whsec_bench_0123456789abcdef0123456789abcdef';

export interface GatewayProcess {
  url: string;
  /** The embedded elopage simulator (its /_sandbox/stats count the gateway's calls). */
  elopageUrl: string;
  pid: number;
  /** Warning/error log lines of the child, counted by message. */
  logCounts: Map<string, number>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The startup banner is logged at `info`, so at LOG_LEVEL=warn the child prints nothing: the bench
 * picks free ports itself, passes them as PORT and ELOPAGE_SANDBOX_PORT, and polls /healthz
 * (retrying if a port was taken). `root` is the checkout to run: this one, or a reference
 * (BENCH_REFERENCE, bench/run.ts) measured side by side in the same run; `env` adds variables.
 */
export async function startGatewayProcess(
  root = REPO_ROOT,
  options: { preload?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const elopagePort = await freePort();
    const preload = options.preload ? ['--import', options.preload] : [];
    // To profile the gateway: BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = [
      ...(options.nodeArgs ?? []),
      ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ];
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...preload, 'src/main.ts'], {
      cwd: root,
      // A clean environment: no provider credentials or REDIS_URL leak in from the caller's shell.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ELEPAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
        ELEPAY_SANDBOX_PORT: '0',
        ELOPAGE_SANDBOX_PORT: String(elopagePort),
        // One bench process opens thousands of subscriptions from one address in seconds: the
        // per-client rate limit (a production safeguard) would measure itself, not fan-out.
        RATE_LIMIT_PER_MINUTE: '1000000',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tracked = track(child);
    const logCounts = new Map<string, number>();
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        let msg = line.slice(0, 120);
        try {
          const entry = JSON.parse(line) as { msg?: unknown; outcome?: unknown };
          msg = `${String(entry.msg ?? msg)}${entry.outcome ? ` (${String(entry.outcome)})` : ''}`;
        } catch {}
        logCounts.set(msg, (logCounts.get(msg) ?? 0) + 1);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (child.exitCode === null && Date.now() < deadline) {
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        return {
          url,
          elopageUrl: `http://127.0.0.1:${elopagePort}`,
          pid: child.pid!,
          logCounts,
          stop: tracked.stop,
        };
      }
      await sleep(100);
    }
    child.kill('SIGKILL');
    await tracked.exited;
    if (!stderr.includes('cannot listen') || attempt >= 3) {
      throw new Error(`gateway did not start (exit ${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
  }
}

/** Resident set size and its peak, in KiB, from /proc/<pid>/status. */
export function memoryKiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** CPU time (user + system) the process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3 of the file, so utime (14) and stime (15) are at 11, 12.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU time all processes on the machine have used so far (busy, not idle or iowait), in seconds. */
export function machineCpuSeconds(): number {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks.map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}
