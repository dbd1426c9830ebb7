import { StdioData_Channel as Channel, type StdioData } from "../gen/plugin/grpc_stdio_pb.js";
import { StdioCapture } from "./stdio.js";

type Handler = (req: unknown, ctx: { signal: AbortSignal }) => AsyncIterable<StdioData>;

function streamStdio(capture: StdioCapture, signal: AbortSignal): AsyncIterator<StdioData> {
  const handler = (capture.registration().impl as { streamStdio: Handler }).streamStdio;
  return handler({}, { signal })[Symbol.asyncIterator]();
}

function within<T>(p: Promise<T>, ms: number): Promise<T | "timed out"> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<"timed out">((r) => (timer = setTimeout(() => r("timed out"), ms)))]).finally(() => clearTimeout(timer));
}

describe("StdioCapture", () => {
  test("with two StreamStdio calls waiting, the first one ending does not silence the second", async () => {
    const capture = new StdioCapture();
    const first = new AbortController();
    const second = new AbortController();
    const a = streamStdio(capture, first.signal);
    const b = streamStdio(capture, second.signal);
    const nextA = a.next();
    const nextB = b.next();
    await new Promise((r) => setImmediate(r));
    first.abort();
    expect(await within(nextA, 2000)).toEqual({ done: true, value: undefined });
    capture.push(Channel.STDERR, Buffer.from("still here"));
    const got = await within(nextB, 2000);
    expect(got).not.toBe("timed out");
    expect(Buffer.from((got as IteratorResult<StdioData>).value.data).toString()).toBe("still here");
    expect(capture.pendingBytes).toBe(0);
    second.abort();
    await b.return?.();
  });

  test("beyond its limit the oldest chunks are dropped and counted", () => {
    const capture = new StdioCapture(10);
    for (const s of ["aaaa", "bbbb", "cccc"]) capture.push(Channel.STDOUT, Buffer.from(s));
    expect(capture.dropped).toBe(1);
    expect(capture.pendingBytes).toBe(8);
  });
});
