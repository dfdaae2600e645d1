import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';
import { type Encoding, negotiate } from '../contentEncoding.js';

/** Smaller answers go out as they are: compressing them would cost more CPU than it saves on the wire. */
const MIN_COMPRESSED_BYTES = 32 * 1024;

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Fast settings: an answer is compressed on every request, unlike GraphiQL's assets (compressed once). */
function compress(body: Buffer, encoding: Encoding): Promise<Buffer> {
  if (encoding === 'gzip') return gzipAsync(body, { level: 6 });
  return brotli(body, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
}

/** How to compress this response for this client, or null to send it as it is. */
function encodingFor(request: Request, response: Response): Encoding | null {
  const length = Number(response.headers.get('content-length') ?? 0);
  const type = response.headers.get('content-type') ?? '';
  if (length < MIN_COMPRESSED_BYTES || !type.includes('json') || response.headers.has('content-encoding')) {
    return null;
  }
  return negotiate(request.headers.get('accept-encoding') ?? undefined);
}

/**
 * Large single JSON answers (GraphiQL's introspection of the whole schema is ~120 KB) are
 * compressed for clients that accept it. Streams (SSE, incremental delivery) are never compressed:
 * a compressor holds bytes back, and a live event must not wait in it.
 */
export function useLargeResponseCompression(): Plugin {
  return {
    // Not async: every other response passes on the spot rather than through a promise.
    onResponse({ request, response, setResponse, fetchAPI }) {
      const encoding = encodingFor(request, response);
      if (!encoding) return;
      return response.arrayBuffer().then(async (raw) => {
        const body = await compress(Buffer.from(raw), encoding);
        const headers = new fetchAPI.Headers(response.headers);
        headers.set('content-encoding', encoding);
        headers.set('content-length', String(body.length));
        headers.append('vary', 'accept-encoding');
        setResponse(
          new fetchAPI.Response(new Uint8Array(body), {
            status: response.status,
            statusText: response.statusText,
            headers,
          }),
        );
      });
    },
  };
}
