/**
 * The one way a request body is read whole into memory (webhooks, simulator requests; provider
 * answers are limited by undici itself, src/providers/http.ts): never more than `maxBytes`, and,
 * with `deadlineMs`, never for longer than that. A request whose Content-Length already says too
 * much is refused before a byte is read.
 */

import { IncomingMessage } from 'node:http';

export interface BodyLimits {
  /** More bytes than this: BodyTooLarge, and the rest is not read. */
  maxBytes: number;
  /** The whole body not in by then: BodyTooSlow (the caller then ends the stream, e.g. closes the connection). */
  deadlineMs?: number;
}

export class BodyTooLarge extends Error {
  constructor() {
    super('body too large');
    this.name = 'BodyTooLarge';
  }
}

export class BodyTooSlow extends Error {
  constructor() {
    super('body too slow');
    this.name = 'BodyTooSlow';
  }
}

export async function readBody(body: AsyncIterable<Uint8Array>, limits: BodyLimits): Promise<Buffer> {
  if (body instanceof IncomingMessage && Number(body.headers['content-length'] ?? 0) > limits.maxBytes) {
    throw new BodyTooLarge();
  }
  const reading = readAtMost(body, limits.maxBytes);
  if (limits.deadlineMs === undefined) return reading;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyTooSlow()), limits.deadlineMs);
  });
  try {
    return await Promise.race([reading, late]);
  } finally {
    clearTimeout(timer);
    // Abandoned on a timeout: it ends with an error when the caller ends the stream.
    reading.catch(() => undefined);
  }
}

async function readAtMost(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
