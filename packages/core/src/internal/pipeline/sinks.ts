/**
 * Where a pipeline's values end: a file (NDJSON, through fast-json-stringify with a schema),
 * an array (`collect`), nowhere (`run`), or the caller's `for await` loop (`stream`).
 *
 * @module
 */
import { createRequire } from 'node:module';
import { InvalidArgumentError } from '@tandem/workers';
import { type Deferred, deferred } from '@tandem/workers/internal';
import { PartFile } from './part-file.js';

export interface Sink {
  readonly kind: 'toFile' | 'collect' | 'run' | 'stream';
  /** The output file, for `toFile`. */
  readonly file: PartFile | undefined;
  /** A value's row; throws when the value cannot be written (the item then fails at the sink). */
  encode(value: unknown): unknown;
  /** Takes a row, in order. */
  write(row: unknown): void;
  /**
   * A finished item's key: true when the sink journals it itself once the rows before it have
   * been consumed (a `for await` loop), false when the run may journal it with its next commit.
   */
  claim(key: string): boolean;
  /** Waits while the sink holds too much. */
  relieve(): Promise<void> | undefined;
  /**
   * Resolves once every row written was taken by the consumer (a `for await` loop came back
   * for the next one) or nobody takes rows any more; undefined when rows need no taker.
   */
  drained(): Promise<void> | undefined;
  /** No more rows: the run ended (`error` when it failed). */
  end(error?: unknown): void;
  /** Nobody takes rows any more (the run was cut off): never make the producer wait again. */
  abandon(): void;
}

/** NDJSON rows into `<path>.part`, renamed into place by the run when it completes. */
export class FileSink implements Sink {
  readonly kind = 'toFile';
  readonly file: PartFile;
  readonly #serialize: (value: unknown) => string | undefined;

  constructor(path: string, schema: object | undefined) {
    this.file = new PartFile(path);
    this.#serialize = schema === undefined ? JSON.stringify : compile(schema);
  }

  encode(value: unknown): string {
    // JSON.stringify gives undefined for undefined and functions: write JSON's null for them.
    return this.#serialize(value) ?? 'null';
  }

  write(row: unknown): void {
    this.file.write(row as string);
  }

  claim(): boolean {
    return false;
  }

  relieve(): Promise<void> | undefined {
    return this.file.full ? this.file.flush(false) : undefined;
  }

  drained(): undefined {
    return undefined;
  }

  end(): void {}
  abandon(): void {}
}

/** fast-json-stringify is CommonJS; `createRequire` keeps its typing and loads it once. */
function compile(schema: object): (value: unknown) => string {
  const require = createRequire(import.meta.url);
  const build = require('fast-json-stringify') as (schema: object) => (value: unknown) => string;
  try {
    return build(schema);
  } catch (cause) {
    throw new InvalidArgumentError(
      'Expected options.schema to be a JSON schema fast-json-stringify can compile; see error.cause',
      { cause },
    );
  }
}

/** Values kept as they are, in memory (`collect()`), or dropped (`run()`). */
class MemorySink implements Sink {
  readonly kind: 'collect' | 'run';
  readonly file = undefined;
  /** The values written, when kept. */
  readonly rows: unknown[] = [];
  readonly #keep: boolean;

  constructor(keep: boolean) {
    this.kind = keep ? 'collect' : 'run';
    this.#keep = keep;
  }
  encode(value: unknown): unknown {
    return value;
  }
  write(row: unknown): void {
    if (this.#keep) this.rows.push(row);
  }
  claim(): boolean {
    return false;
  }
  relieve(): undefined {
    return undefined;
  }
  drained(): undefined {
    return undefined;
  }
  end(): void {}
  abandon(): void {}
}

export class CollectSink extends MemorySink {
  constructor() {
    super(true);
  }
}

export class DiscardSink extends MemorySink {
  constructor() {
    super(false);
  }
}

interface Message {
  readonly value: unknown;
  /** Keys finished with this row or before it: journaled once the loop asks for the next. */
  readonly keys: string[];
}

/**
 * Rows handed to a `for await` loop, at most `capacity` ahead of it. A row counts as consumed
 * when the loop asks for the next one (its body ran to the end), which is when the keys
 * finished with it are handed to `onConsumed` for the journal: at least once, never lost.
 */
export class StreamSink implements Sink {
  readonly kind = 'stream';
  readonly file = undefined;
  readonly #capacity: number;
  readonly #queue: Message[] = [];
  #head = 0;
  /** `#head` when the loop last asked: the messages before it are consumed. */
  #acked = 0;
  #newest: Message | undefined;
  #ended: { error: unknown } | undefined;
  #consumer: Deferred<void> | undefined;
  #producer: Deferred<void> | undefined;
  #drained: Deferred<void> | undefined;
  #abandoned = false;
  readonly #onConsumed: (keys: readonly string[]) => void;

  constructor(capacity: number, onConsumed: (keys: readonly string[]) => void) {
    this.#capacity = capacity;
    this.#onConsumed = onConsumed;
  }

  encode(value: unknown): unknown {
    return value;
  }

  write(row: unknown): void {
    this.#newest = { value: row, keys: [] };
    this.#queue.push(this.#newest);
    this.#wakeConsumer();
  }

  claim(key: string): boolean {
    if (this.#newest === undefined) return false;
    this.#newest.keys.push(key);
    return true;
  }

  relieve(): Promise<void> | undefined {
    if (this.#abandoned || this.#queue.length - this.#head < this.#capacity) return undefined;
    this.#producer ??= deferred();
    return this.#producer.promise;
  }

  end(error?: unknown): void {
    this.#ended ??= { error };
    this.#wakeConsumer();
  }

  abandon(): void {
    this.#abandoned = true;
    this.#producer?.resolve();
    this.#producer = undefined;
    this.#drained?.resolve();
  }

  drained(): Promise<void> | undefined {
    if (this.#abandoned || this.#acked >= this.#queue.length) return undefined;
    this.#drained ??= deferred();
    return this.#drained.promise;
  }

  /**
   * The next row for the loop, after marking the previous one consumed; `undefined` once the
   * run ended and every row was taken (then `ended` says whether it failed).
   */
  async next(): Promise<{ value: unknown } | undefined> {
    this.#ack();
    // Drop taken messages now and then, so the queue array does not grow for ever.
    if (this.#head > 1024) {
      this.#queue.splice(0, this.#head - 1);
      this.#head = 1;
      this.#acked = 1;
    }
    // The run failed: values still queued are not handed out (the loop gets the error).
    if (this.#ended !== undefined && this.#ended.error !== undefined) return undefined;
    while (this.#head >= this.#queue.length) {
      if (this.#ended !== undefined) return undefined;
      // A caller may have several next() calls waiting at once (not `for await`): the rows
      // they took are consumed once one of them waits for more.
      this.#ack();
      this.#consumer ??= deferred();
      await this.#consumer.promise;
    }
    const message = this.#queue[this.#head++] as Message;
    // Wake the producer only once there is room again, or it would add a chunk per take.
    if (this.#queue.length - this.#head < this.#capacity) {
      this.#producer?.resolve();
      this.#producer = undefined;
    }
    return { value: message.value };
  }

  /** Marks every row taken so far consumed, handing their keys to the journal. */
  #ack(): void {
    for (; this.#acked < this.#head; this.#acked++) {
      const message = this.#queue[this.#acked] as Message;
      if (message === this.#newest) this.#newest = undefined;
      if (message.keys.length > 0) this.#onConsumed(message.keys);
    }
    if (this.#acked >= this.#queue.length) this.#drained?.resolve();
  }

  get ended(): { error: unknown } | undefined {
    return this.#ended;
  }

  #wakeConsumer(): void {
    this.#consumer?.resolve();
    this.#consumer = undefined;
  }
}
