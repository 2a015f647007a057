/**
 * One subscriber's pending items: at most `capacity` of them. The producer never waits: `push` answers false
 * when the queue is full, and the owner then ends the queue with `finish`, which drops what was pending (so
 * that memory does not grow) and leaves one last item (the reason) to read. The consumer reads it as an async
 * iterable; `onClose` runs once, when the consumer leaves (`return`) or has read everything of an ended queue.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private closed = false;

  constructor(
    private readonly capacity: number,
    private readonly onClose: () => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** False when the queue is full (the item is not kept) or already ended. */
  push(item: T): boolean {
    if (this.ended) return false;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return true;
    }
    if (this.items.length >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /** Ends the queue: pending items are dropped; `last`, when given, is the one item left to read. */
  finish(last?: T): void {
    if (this.ended) return;
    this.ended = true;
    this.items = last === undefined ? [] : [last];
    if (!this.waiting) return;
    const resolve = this.waiting;
    this.waiting = undefined;
    const item = this.items.shift();
    if (item === undefined) {
      this.close();
      resolve({ value: undefined, done: true });
    } else resolve({ value: item, done: false });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.ended || this.closed) {
      this.close();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.ended = true;
    this.items = [];
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private close() {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}
