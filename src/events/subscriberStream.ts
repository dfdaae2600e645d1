/**
 * One subscriber's queue of events: the log's listener pushes, the transport reads (an async
 * iterator). It is ours rather than a Repeater because it is on the fan-out's hottest path: a
 * Repeater's push allocated about eight promises per value, the largest CPU cost of delivering one
 * event to 1,000 subscribers (a profile of `npm run bench`), where this one allocates none while
 * the reader waits and one resolved promise otherwise.
 *
 * Bounded: `full` at `capacity` unread events (the caller decides what a full queue means), and
 * `room()` lets a producer that must not drop anything (a replay) wait for the reader. `stop()`
 * ends the stream after what is queued, with an error if given; `return()` (the reader leaving)
 * ends it at once. Either way the `onClose` callbacks run once.
 */
export class SubscriberStream<T> implements AsyncIterableIterator<T> {
  private queue: (T | undefined)[] = [];
  private head = 0;
  private reader: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null =
    null;
  private roomWaiter: (() => void) | null = null;
  private ending: { error: unknown } | null = null;
  private closed = false;
  /** Made with its first callback: an array grown by `push` from empty reserves room for 16. */
  private onClose: (() => void)[] | null = null;

  constructor(public capacity: number) {}

  /** Whether the stream still takes events (not stopped, not closed). */
  get open(): boolean {
    return !this.closed && this.ending === null;
  }

  get full(): boolean {
    return this.queue.length - this.head >= this.capacity;
  }

  /**
   * Whether the reader waits with nothing queued. The transports pull one event at a time and ask
   * for the next only once the previous one is written, so this also means nothing of this stream
   * is on its way to the client: a value handed over some other way now stays in order.
   */
  get idle(): boolean {
    return this.reader !== null && this.head === this.queue.length && this.open;
  }

  whenClosed(callback: () => void): void {
    if (this.closed) callback();
    else if (this.onClose) this.onClose.push(callback);
    else this.onClose = [callback];
  }

  push(value: T): void {
    if (!this.open) return;
    const reader = this.reader;
    if (reader) {
      this.reader = null;
      reader.resolve({ value, done: false });
    } else {
      this.queue.push(value);
    }
  }

  /** Resolves once the queue is below capacity again (or the stream ended); undefined if it is now. */
  room(): Promise<void> | undefined {
    if (!this.full || !this.open) return undefined;
    return new Promise((resolve) => {
      this.roomWaiter = resolve;
    });
  }

  /** Ends the stream once the reader has what is queued; then `error`, if any, is thrown to it. */
  stop(error?: unknown): void {
    if (!this.open) return;
    this.ending = { error };
    this.releaseRoom();
    if (this.reader && this.queue.length === this.head) this.finish();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head] as T;
      this.queue[this.head] = undefined;
      this.head += 1;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (!this.full) this.releaseRoom();
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
      if (this.ending) this.finish();
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    const reader = this.reader;
    this.reader = null;
    reader?.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The queue is drained and the stream is ending: give the waiting reader the end, or the error. */
  private finish(): void {
    const reader = this.reader;
    const ending = this.ending;
    this.reader = null;
    this.close();
    if (!reader) return;
    if (ending?.error !== undefined) reader.reject(ending.error);
    else reader.resolve({ value: undefined, done: true });
  }

  private releaseRoom(): void {
    const waiter = this.roomWaiter;
    this.roomWaiter = null;
    waiter?.();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ending ??= { error: undefined };
    this.queue = [];
    this.head = 0;
    this.releaseRoom();
    const callbacks = this.onClose ?? [];
    this.onClose = null;
    for (const callback of callbacks) callback();
  }
}
