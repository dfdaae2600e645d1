import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';
import { type Encoding, negotiate } from './contentEncoding.js';

/**
 * GraphiQL, served from the installed @graphql-yoga/render-graphiql package as separate,
 * content-addressed files instead of its one 9 MB HTML page: the page itself is a few kilobytes,
 * and the script, stylesheet and Monaco's workers are compressed once, on first request, and then
 * cached by the browser for a year (their URL changes when the package does). The package is
 * imported on first use only: a gateway without GraphiQL never holds its 9 MB in memory.
 */

/** Where the assets live; absolute, so the page works at `/graphql` and `/graphql/` alike. */
const ASSET_PATH = '/graphiql/';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** Compressed bodies by encoding, made on first request and kept (the content never changes). */
  encoded: Map<Encoding, Promise<Buffer>>;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Brotli quality 10 with a 16 MB window: all five files come to about 1.9 MB (from 8.8 MB), within
 * 2 % of quality 11 at half its CPU time. It runs on libuv's thread pool, so the event loop keeps
 * serving meanwhile; `npm start` warms it up right after starting (warmGraphiqlAssets), and any
 * request that comes earlier waits for the same work rather than starting its own.
 */
function compress(body: Buffer, encoding: Encoding): Promise<Buffer> {
  if (encoding === 'gzip') return gzipAsync(body, { level: 9 });
  return brotli(body, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: 10,
      [zlib.BROTLI_PARAM_LGWIN]: 24,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
      [zlib.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}

function encoded(file: Asset, encoding: Encoding): Promise<Buffer> {
  let pending = file.encoded.get(encoding);
  if (!pending) {
    pending = compress(file.body, encoding);
    file.encoded.set(encoding, pending);
  }
  return pending;
}

function asset(content: string, type: string): Asset {
  const body = Buffer.from(content, 'utf8');
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
  return { body, type, etag, encoded: new Map() };
}

interface Assets {
  /** The files of the page, by the URL they are served at (the name carries the content hash). */
  byUrl: Map<string, Asset>;
  urls: { css: string; js: string; editorWorkerService: string; json: string; graphql: string };
}

let loading: Promise<Assets> | undefined;
function loadAssets(): Promise<Assets> {
  loading ??= import('@graphql-yoga/render-graphiql/graphiql').then((files) => {
    const byUrl = new Map<string, Asset>();
    const register = (name: string, extension: string, content: string, type: string) => {
      const file = asset(content, type);
      const url = `${ASSET_PATH}${name}.${file.etag.slice(1, 11)}.${extension}`;
      byUrl.set(url, file);
      return url;
    };
    const js = 'text/javascript; charset=utf-8';
    return {
      byUrl,
      urls: {
        css: register('graphiql', 'css', files.css, 'text/css; charset=utf-8'),
        js: register('graphiql', 'js', files.js, js),
        editorWorkerService: register('editor.worker', 'js', files.editorWorkerService, js),
        json: register('json.worker', 'js', files.jsonWorker, js),
        graphql: register('graphql.worker', 'js', files.graphqlWorker, js),
      },
    };
  });
  return loading;
}

/** A small icon of our own: the package's default is a 150 KB data URL. */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23e10098'/%3E%3C/svg%3E";

/** JSON that is safe inside a <script> element: no `</script>` or `<!--` can be formed. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function renderPage(options: GraphiQLOptions, urls: Assets['urls']): string {
  const workers = { editorWorkerService: urls.editorWorkerService, json: urls.json, graphql: urls.graphql };
  const title = (options.title ?? 'GraphiQL').replace(/[<&"]/g, '');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${title}</title>
    <link rel="icon" href="${FAVICON}" />
    <link rel="stylesheet" href="${urls.css}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run GraphiQL.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${scriptJson(workers)};
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workers[label] };
    </script>
    <script src="${urls.js}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}

async function send(
  req: IncomingMessage,
  res: ServerResponse,
  file: Asset,
  cacheControl: string,
): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': file.type,
    'cache-control': cacheControl,
    etag: file.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const encoding = negotiate(req.headers['accept-encoding']);
  let body = file.body;
  if (encoding) {
    body = await encoded(file, encoding);
    headers['content-encoding'] = encoding;
  }
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(body);
}

/** Compresses the assets for browsers (Brotli) ahead of the first visit; resolves when done. */
export async function warmGraphiqlAssets(): Promise<void> {
  const { byUrl } = await loadAssets();
  await Promise.all([...byUrl.values()].map((file) => encoded(file, 'br')));
}

/** A browser asking for a page (GET, accepting HTML) rather than a GraphQL result. */
export function wantsGraphiql(req: IncomingMessage): boolean {
  return req.method === 'GET' && Boolean(req.headers.accept?.includes('text/html'));
}

export interface GraphiqlHandlers {
  /** The page (a few kB); revalidated on every load (`no-cache` + ETag), so new tabs show up at once. */
  page(req: IncomingMessage, res: ServerResponse): void;
  /** `/graphiql/<name>.<hash>.<ext>`: immutable, cached for a year; 404 for any other name. */
  asset(req: IncomingMessage, res: ServerResponse, notFound: () => void): void;
}

export function createGraphiql(options: GraphiQLOptions): GraphiqlHandlers {
  let page: Promise<Asset> | undefined;
  const fail = (res: ServerResponse) => () => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  };
  return {
    page(req, res) {
      page ??= loadAssets().then(({ urls }) => asset(renderPage(options, urls), 'text/html; charset=utf-8'));
      page.then((file) => send(req, res, file, 'no-cache')).catch(fail(res));
    },
    asset(req, res, notFound) {
      loadAssets()
        .then(({ byUrl }) => {
          const file = byUrl.get((req.url ?? '').split('?')[0] ?? '');
          if (!file) return notFound();
          return send(req, res, file, 'public, max-age=31536000, immutable');
        })
        .catch(fail(res));
    },
  };
}
