import type { IncomingMessage, ServerResponse } from 'node:http';
import { sameSecret } from './auth/sameSecret.js';
import type { Metrics } from './metrics.js';

/** Who may scrape: bearers of METRICS_TOKEN, anyone (open access, all sandboxed) or nobody. */
export type MetricsAccess = { token: string } | 'open' | 'off';

/**
 * `GET /metrics` in Prometheus text exposition. Off is a plain 404, as for any unknown route; a
 * wrong or missing token is 401 and says nothing about the token.
 */
export async function serveMetrics(
  metrics: Metrics,
  access: MetricsAccess,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const refuse = (status: number, error: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify({ error }));
  };
  if (access === 'off') return refuse(404, 'not found');
  if (access !== 'open') {
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!given || !sameSecret(given, access.token)) {
      return refuse(401, 'a valid metrics token is required', { 'www-authenticate': 'Bearer' });
    }
  }
  try {
    const { contentType, body } = await metrics.scrape();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    refuse(500, 'metrics could not be collected');
  }
}
