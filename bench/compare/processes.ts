import { spawn } from 'node:child_process';
import { track } from '../children.js';
import { REPO_ROOT } from '../gateway.js';
import { sleep } from '../stats.js';

/** A server the gateway comparison runs as its own process, so /proc measures it alone. */
export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** stdout/stderr lines at warn or above (paygraph's JSON logs) or unparsed stderr, counted. */
  problems: Map<string, number>;
  stop(): Promise<void>;
}

/** pino levels: 40 warn, 50 error, 60 fatal. */
const WARN = 40;

/** The URL a line announces (a bare URL, or paygraph's startup banner), else counts it if it is a problem. */
function readLine(problems: Map<string, number>, line: string): string | undefined {
  if (line.startsWith('http://')) return line.trim();
  let key: string | null = line.slice(0, 120);
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string };
    const banner = /listening on (http:\/\/[^\s|]+)/.exec(String(entry.msg));
    if (banner) return banner[1];
    key = (entry.level ?? 0) >= WARN ? String(entry.msg) : null;
  } catch {}
  if (key) problems.set(key, (problems.get(key) ?? 0) + 1);
  return undefined;
}

/**
 * Spawns `node <args>` in `cwd` with exactly `env` (plus PATH/HOME), then
 * waits until `${url}/healthz` answers, `url` being what the process announces on stdout (the
 * bench's servers print it; paygraph's banner names it), so every server can listen on port 0.
 */
export async function startServer(
  name: string,
  args: string[],
  env: Record<string, string>,
  cwd = REPO_ROOT,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tracked = track(child);
  const problems = new Map<string, number>();
  let stderr = '';
  let printedUrl: string | undefined;
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line) printedUrl ??= readLine(problems, line);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const deadline = Date.now() + 60_000;
  while (child.exitCode === null && Date.now() < deadline) {
    const url = printedUrl;
    if (
      url &&
      (await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      return {
        name,
        url,
        pid: child.pid ?? 0,
        problems,
        stop: tracked.stop,
      };
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start (exit ${child.exitCode ?? child.signalCode}): ${stderr}`);
}
