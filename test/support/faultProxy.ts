import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request } from 'undici';

/**
 * A fault-injecting HTTP proxy for the chaos suite: it sits between the gateway and a simulator (or
 * between a simulator and the gateway's webhook route) and forwards every request as it is, until a
 * test arms a fault for the requests a matcher picks. The faults are what a real network and real
 * providers do to a client:
 * - `blackhole`: the connection is accepted and the request never answered (until the fault ends);
 * - `reset`: the connection is cut as soon as the request arrives (nothing forwarded);
 * - `html502`, `invalidJson`, `null200`, `empty200`, `notFound`: the proxy answers itself;
 * - `rateLimited`: 429 with `Retry-After` (seconds);
 * - `truncatedJson`: forwarded (a write takes effect), then only half of the answer is returned;
 * - `rewritten`: forwarded, then returned as well-formed JSON with the fault's `fields` put over
 *   the answer's own (a value of a type or range no client expects);
 * - `dropAfterWrite`: forwarded (a write takes effect), then the connection is cut unanswered;
 * - `lateAnswer`: forwarded (a write takes effect), then the answer is held back (until the fault ends).
 */
export type FaultMode =
  | 'blackhole'
  | 'reset'
  | 'html502'
  | 'invalidJson'
  | 'truncatedJson'
  | 'rewritten'
  | 'null200'
  | 'empty200'
  | 'notFound'
  | 'rateLimited'
  | 'dropAfterWrite'
  | 'lateAnswer';

export interface Fault {
  mode: FaultMode;
  /** Which requests it hits, e.g. `GET /charges/`; default every request. */
  method?: string;
  /** A regular expression the path (without query) must match. */
  path?: RegExp;
  /** `rateLimited`: the Retry-After value in seconds. */
  retryAfterSeconds?: number;
  /** `rewritten`: top-level fields that replace the answer's (a JSON object). */
  fields?: Record<string, unknown>;
}

export interface FaultProxy {
  url: string;
  /** Requests the armed fault has hit since it was armed. */
  readonly hits: number;
  /** Requests that reached the upstream (forwarded), since start. */
  readonly forwarded: number;
  /** Where requests go; may be set after start (e.g. a gateway that starts later). */
  setTarget(origin: string): void;
  arm(fault: Fault): void;
  /** Ends the fault: requests held by `blackhole` are cut, later ones pass. */
  clear(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target?: string): Promise<FaultProxy> {
  let origin = target ?? '';
  let fault: Fault | null = null;
  let hits = 0;
  let forwarded = 0;
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  const matches = (req: IncomingMessage): boolean => {
    if (!fault) return false;
    if (fault.method && req.method !== fault.method) return false;
    const path = (req.url ?? '').split('?')[0] ?? '';
    return fault.path ? fault.path.test(path) : true;
  };

  async function forward(req: IncomingMessage, body: Buffer) {
    forwarded++;
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    const response = await request(`${origin}${req.url ?? '/'}`, {
      method: req.method as 'GET',
      headers,
      body: body.length > 0 ? body : undefined,
    });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks)).catch(() => res.socket?.destroy());
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const active = matches(req) ? fault : null;
    if (active) hits++;
    const json = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };
    switch (active?.mode) {
      case undefined: {
        const answer = await forward(req, body);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (
            typeof value === 'string' &&
            !['content-length', 'transfer-encoding', 'connection'].includes(name)
          )
            headers[name] = value;
        }
        res.writeHead(answer.status, headers);
        res.end(answer.text);
        return;
      }
      case 'blackhole':
        return hold(res);
      case 'reset':
        req.socket.destroy();
        return;
      case 'html502':
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      case 'invalidJson':
        return json(200, '{"id": "ch_1", "status": captured}');
      case 'null200':
        return json(200, 'null');
      case 'empty200':
        return json(200, '');
      case 'notFound':
        return json(404, '{"errorCode":"M002003","message":"not found"}');
      case 'rateLimited':
        return json(429, '{"errorCode":"M005000"}', { 'retry-after': String(active.retryAfterSeconds ?? 1) });
      case 'truncatedJson': {
        const answer = await forward(req, body);
        return json(answer.status, answer.text.slice(0, Math.floor(answer.text.length / 2)));
      }
      case 'rewritten': {
        const answer = await forward(req, body);
        const original = JSON.parse(answer.text) as Record<string, unknown>;
        return json(answer.status, JSON.stringify({ ...original, ...active.fields }));
      }
      case 'dropAfterWrite':
        await forward(req, body);
        req.socket.destroy();
        return;
      case 'lateAnswer':
        await forward(req, body);
        return hold(res);
    }
  }

  /** Answers nothing until the fault ends (`clear` cuts the connection). */
  function hold(res: ServerResponse): void {
    held.add(res);
    res.on('close', () => held.delete(res));
  }

  function clear(): void {
    fault = null;
    for (const res of held) res.socket?.destroy();
    held.clear();
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    get forwarded() {
      return forwarded;
    },
    setTarget(next) {
      origin = next;
    },
    arm(next) {
      fault = next;
      hits = 0;
    },
    clear,
    async close() {
      clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
