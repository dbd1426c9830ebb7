/**
 * Spans queued and exported in batches, as OpenTelemetry-Go's
 * BatchSpanProcessor does with its defaults (what chainlink-common's
 * SetupTracing uses): a queue of 2048 spans (further spans are dropped), an
 * export every 5 s or as soon as 512 are waiting, 30 s per export. Exports
 * run one at a time; `shutdown()` exports what is left and stops the timer.
 */
export interface BatchOptions {
  maxQueueSize?: number;
  scheduledDelayMs?: number;
  maxExportBatchSize?: number;
  exportTimeoutMs?: number;
}

export class BatchProcessor<T> {
  /** Spans not yet handed to an export (waiting ones included), at most maxQueueSize. */
  private queue: T[] = [];
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  /** Export even a partial batch: set by the timer and by flush(). */
  private force = false;
  private stopped = false;
  /** Spans dropped because the queue was full. */
  dropped = 0;
  private readonly maxQueue: number;
  private readonly delay: number;
  private readonly batchSize: number;
  private readonly timeout: number;

  constructor(
    private readonly exportBatch: (batch: T[], signal: AbortSignal) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    o: BatchOptions = {},
  ) {
    this.maxQueue = o.maxQueueSize ?? 2048;
    this.delay = o.scheduledDelayMs ?? 5000;
    this.batchSize = Math.min(o.maxExportBatchSize ?? 512, this.maxQueue);
    this.timeout = o.exportTimeoutMs ?? 30_000;
  }

  add(item: T): void {
    if (this.stopped) return;
    if (this.queue.length >= this.maxQueue) {
      this.dropped++;
      return;
    }
    this.queue.push(item);
    if (this.queue.length >= this.batchSize) void this.drain();
    // The schedule must not keep a plugin alive on its own.
    else this.timer ??= setTimeout(() => void this.flush(), this.delay).unref();
  }

  /** Exports everything queued now, after any export in progress. */
  flush(): Promise<void> {
    this.force = true;
    return this.drain();
  }

  /** Exports what is left; later spans are ignored. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.flush();
  }

  /** Drops what is still queued and stops the schedule: the export in progress, if any, is the last. */
  abandon(): void {
    this.stopped = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One export at a time, full batches first; a forced drain empties the queue. */
  private drain(): Promise<void> {
    this.draining ??= (async () => {
      while (this.queue.length >= this.batchSize || (this.force && this.queue.length > 0)) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        // Taken from the queue only as it is exported: a slow collector fills the queue, and then drops.
        await this.exportOne(this.queue.slice(0, this.batchSize));
        this.queue.splice(0, this.batchSize);
      }
      this.force = false;
      this.draining = undefined;
      if (this.queue.length && !this.stopped) this.timer ??= setTimeout(() => void this.flush(), this.delay).unref();
    })();
    return this.draining;
  }

  private async exportOne(batch: T[]): Promise<void> {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(new Error(`span export timed out after ${this.timeout} ms`)), this.timeout);
    try {
      await this.exportBatch(batch, ac.signal);
    } catch (err) {
      this.onError(err);
    } finally {
      clearTimeout(t);
    }
  }
}
