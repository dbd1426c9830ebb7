import { BatchProcessor } from "./batch.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("exports on schedule, and at once when a batch is full", async () => {
  const got: number[][] = [];
  const p = new BatchProcessor<number>(async (b) => void got.push(b), (e) => { throw e; }, { scheduledDelayMs: 50, maxExportBatchSize: 3 });
  p.add(1);
  p.add(2);
  expect(got).toEqual([]);
  p.add(3); // full batch
  await tick(0);
  expect(got).toEqual([[1, 2, 3]]);
  p.add(4);
  await tick(80);
  expect(got).toEqual([[1, 2, 3], [4]]);
  await p.shutdown();
});

test("while an export is slow the queue fills and drops; shutdown exports the rest and stops", async () => {
  const got: number[][] = [];
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  const p = new BatchProcessor<number>(
    async (b) => {
      got.push(b);
      if (got.length === 1) await slow;
    },
    () => {},
    { maxQueueSize: 3, maxExportBatchSize: 2, scheduledDelayMs: 60_000 },
  );
  p.add(1);
  p.add(2); // a full batch: its export starts and hangs
  p.add(3);
  p.add(4); // 1, 2 (being exported), 3 and 4 fill the queue of 3
  expect(p.dropped).toBe(1);
  release();
  await p.shutdown();
  expect(got).toEqual([[1, 2], [3]]);
  p.add(5);
  await p.flush();
  expect(got).toEqual([[1, 2], [3]]);
});

test("a failed or timed-out export is reported and does not stop later ones", async () => {
  const errors: string[] = [];
  let n = 0;
  const p = new BatchProcessor<number>(
    (_b, signal) => {
      n++;
      if (n === 1) return Promise.reject(new Error("collector down"));
      if (n === 2) return new Promise((_r, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      return Promise.resolve();
    },
    (e) => errors.push((e as Error).message),
    { exportTimeoutMs: 30, maxExportBatchSize: 1, scheduledDelayMs: 60_000 },
  );
  p.add(1);
  p.add(2);
  p.add(3);
  await p.shutdown();
  expect(n).toBe(3);
  expect(errors).toEqual(["collector down", "span export timed out after 30 ms"]);
});

test("abandon drops what is queued and stops the schedule; the export in progress is the last", async () => {
  const got: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const p = new BatchProcessor<number>(
    async (b) => {
      got.push(b);
      await gate;
    },
    (e) => {
      throw e;
    },
    { scheduledDelayMs: 10, maxExportBatchSize: 2 },
  );
  for (const n of [1, 2, 3, 4, 5]) p.add(n);
  await tick(0);
  expect(got).toEqual([[1, 2]]);
  p.abandon();
  p.add(6);
  release();
  await tick(40);
  expect(got).toEqual([[1, 2]]);
});
