import { PassThrough } from "node:stream";
import { readFirstLine } from "./first-line.js";

test("the first line, split across chunks; later output is drained", async () => {
  const s = new PassThrough();
  const { line, eof } = readFirstLine(s, 100);
  s.write("1|1|unix|");
  s.write("/tmp/x|grpc|\nnoise\n");
  s.end("more");
  expect(await line).toEqual({ kind: "line", line: "1|1|unix|/tmp/x|grpc|" });
  await eof;
});

test("no newline within the cap settles at once with the head only", async () => {
  const s = new PassThrough();
  const { line } = readFirstLine(s, 100);
  s.write("x".repeat(60));
  s.write("y".repeat(60));
  const r = await line;
  expect(r.kind).toBe("too-long");
  expect(r.kind === "too-long" && r.head.length).toBe(120);
  s.end();
});

test("a line of exactly the cap is accepted; one byte more is not", async () => {
  for (const [n, kind] of [[100, "line"], [101, "too-long"]] as const) {
    const s = new PassThrough();
    const { line } = readFirstLine(s, 100);
    s.end("a".repeat(n) + "\n");
    expect((await line).kind).toBe(kind);
  }
});

test("end of stream without a newline gives what came", async () => {
  const s = new PassThrough();
  const { line } = readFirstLine(s, 100);
  s.end("partial");
  expect(await line).toEqual({ kind: "eof", rest: "partial" });
  const e = new PassThrough();
  const r = readFirstLine(e, 100);
  e.end();
  expect(await r.line).toEqual({ kind: "eof" });
});
