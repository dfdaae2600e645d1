import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { getIntrospectionQuery } from 'graphql';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/harness.js';

/**
 * GraphiQL over HTTP: a small page plus compressed, immutable assets, and documents sent the way
 * GraphiQL sends them. test/browser/graphiql.test.ts drives the same page in Chromium.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  gw.expectNoLeaks();
  await gw.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await request(`${gw.url}${path}`, { headers });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body };
}

describe('the GraphiQL page', () => {
  it('is a few kB, compressed, and revalidated by ETag', async () => {
    const page = await get('/graphql', { accept: 'text/html', 'accept-encoding': 'gzip, br' });
    expect(page.status).toBe(200);
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body.length).toBeLessThan(20_000);
    const again = await get('/graphql', { accept: 'text/html', 'if-none-match': String(page.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('loads its assets under content-hashed names, cacheable for a year, compressed when asked', async () => {
    const html = (await get('/graphql', { accept: 'text/html' })).body.toString('utf8');
    const assets = [...html.matchAll(/\/graphiql\/[\w.-]+\.(?:js|css)/g)].map((match) => match[0]);
    expect(assets.length).toBe(5);
    for (const path of assets) {
      const plain = await get(path);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['x-content-type-options']).toBe('nosniff');
      expect((await get(path, { 'if-none-match': String(plain.headers.etag) })).status).toBe(304);
    }
    // Compression is checked on the stylesheet alone: the script's Brotli takes seconds of CPU, and
    // the browser suite measures what a first visit transfers in all (≤ 2 MB).
    const [stylesheet = ''] = assets.filter((path) => path.endsWith('.css'));
    const size = (await get(stylesheet)).body.length;
    const br = await get(stylesheet, { 'accept-encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(size / 2);
    const gzip = await get(stylesheet, { 'accept-encoding': 'gzip;q=1, br;q=0' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect((await get('/graphiql/graphiql.0000000000.js')).status).toBe(404);
  });
});

describe('the schema GraphiQL loads', () => {
  const introspect = (headers: Record<string, string>) =>
    request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: getIntrospectionQuery() }),
    });

  it('comes compressed when the browser accepts it, and plain otherwise', async () => {
    const plain = await introspect({});
    const text = await plain.body.text();
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(text.length).toBeGreaterThan(32 * 1024);
    for (const [accept, encoding, decode] of [
      ['gzip, deflate, br', 'br', brotliDecompressSync],
      ['gzip', 'gzip', gunzipSync],
    ] as const) {
      const compressed = await introspect({ 'accept-encoding': accept });
      const body = Buffer.from(await compressed.body.arrayBuffer());
      expect(compressed.headers['content-encoding']).toBe(encoding);
      expect(body.length).toBeLessThan(text.length / 4);
      expect(decode(body).toString()).toBe(text);
    }
  });

  it('small answers go out as they are', async () => {
    const response = await request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, br' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(await response.body.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('documents as GraphiQL sends them', () => {
  it('runs the selected operation even when the tab has fragments only other operations use', async () => {
    const response = await request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'query SalesPage($id: ID! = "1087") { salesPage(id: $id) { id } } fragment UserErrorFields on UserError { field code message }',
        operationName: 'SalesPage',
      }),
    });
    const body = (await response.body.json()) as { data?: unknown; errors?: unknown };
    gw.bodies.push(JSON.stringify(body));
    expect(body).toEqual({ data: { salesPage: { id: 'U2FsZXNQYWdlOmVsb3BhZ2U6MTA4Nw' } } });
  });

  it('still validates an unused fragment against the schema', async () => {
    const response = await request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename } fragment F on UserError { noSuchField }' }),
    });
    const body = (await response.body.json()) as { errors?: { message: string }[] };
    gw.bodies.push(JSON.stringify(body));
    expect(body.errors?.[0]?.message).toMatch(/noSuchField/);
  });
});
