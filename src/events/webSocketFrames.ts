import type { Socket } from 'node:net';

/**
 * WebSocket text frames as a server sends them (RFC 6455 §5.2: FIN set, opcode 1, no mask), several
 * in one buffer: frame i is `heads[i] + body + tail`. For a group's `next` frames (subscriberGroups.ts):
 * the members of one socket get their frames in one write, built with one allocation, the shared
 * payload copied into each, where a `ws.send` per frame would make two writes and a frame header each.
 * The heads are strings (a member keeps one for as long as it lives: smaller than a Buffer).
 */
export function textFrames(heads: readonly string[], body: Buffer, tail: Buffer): Buffer {
  let total = 0;
  for (const head of heads) total += frameLength(Buffer.byteLength(head) + body.length + tail.length);
  const frames = Buffer.allocUnsafe(total);
  let at = 0;
  for (const head of heads) {
    at = writeHeader(frames, at, Buffer.byteLength(head) + body.length + tail.length);
    at += frames.write(head, at);
    at += body.copy(frames, at);
    at += tail.copy(frames, at);
  }
  return frames;
}

const FIN_TEXT = 0x81;

function frameLength(payloadLength: number): number {
  return (payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10) + payloadLength;
}

function writeHeader(frames: Buffer, at: number, payloadLength: number): number {
  frames[at] = FIN_TEXT;
  if (payloadLength < 126) {
    frames[at + 1] = payloadLength;
    return at + 2;
  }
  if (payloadLength < 65_536) {
    frames[at + 1] = 126;
    frames.writeUInt16BE(payloadLength, at + 2);
    return at + 4;
  }
  frames[at + 1] = 127;
  frames.writeBigUInt64BE(BigInt(payloadLength), at + 2);
  return at + 10;
}

const corked = new Set<Socket>();

function uncorkAll(): void {
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/**
 * Writes on a connection corked until the current run of callbacks and microtasks ends, so that
 * everything a turn of the fan-out writes to one socket leaves in one system call (a writev).
 */
export function writeCorked(socket: Socket, data: Buffer): void {
  if (!corked.has(socket)) {
    if (corked.size === 0) process.nextTick(uncorkAll);
    corked.add(socket);
    socket.cork();
  }
  socket.write(data);
}
