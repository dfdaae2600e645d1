/** The compressions the gateway sends: Brotli for browsers that take it, gzip for the rest. */
export type Encoding = 'br' | 'gzip';

/** The best encoding the client accepts (`q=0` refuses one), or null for the plain body. */
export function negotiate(acceptEncoding: string | undefined): Encoding | null {
  const accepted = new Set<string>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}
