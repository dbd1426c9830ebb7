// Host-side parsing of plugin stderr (go-plugin's rules) and the plugin-side hclog format.
import { PassThrough } from "node:stream";
import { hclogLine, hclogTimestamp, StderrLogParser } from "../src/index.js";
import { readLines } from "../src/goplugin/lines.js";

describe("StderrLogParser", () => {
  const p = () => new StderrLogParser();
  const ts = "2026-01-02T03:04:05.123456Z";

  test("hclog JSON: level, message, fields and timestamp", () => {
    const e = p().parseLine(JSON.stringify({ "@level": "warn", "@message": "m", "@timestamp": ts, foo: "bar", n: 12 }));
    expect(e).toMatchObject({ level: "warn", message: "m", args: { foo: "bar", n: 12 } });
    expect(e.time?.toISOString()).toBe("2026-01-02T03:04:05.123Z");
  });

  test("@module and @caller stay ordinary fields", () => {
    const e = p().parseLine(JSON.stringify({ "@level": "info", "@message": "m", "@module": "x", "@caller": "y.go:1" }));
    expect(e.args).toEqual({ "@module": "x", "@caller": "y.go:1" });
  });

  test.each([
    ["three fraction digits", "2026-01-02T03:04:05.123Z"],
    ["no fraction", "2026-01-02T03:04:05Z"],
    ["nine fraction digits", "2026-01-02T03:04:05.123456789Z"],
    ["zone without colon", "2026-01-02T03:04:05.123456+0100"],
  ])("a timestamp with %s makes the line plain text", (_n, bad) => {
    const line = JSON.stringify({ "@level": "error", "@message": "m", "@timestamp": bad });
    expect(p().parseLine(line)).toMatchObject({ level: "debug", message: line, args: {} });
  });

  test("zone offsets with a colon are accepted", () => {
    const e = p().parseLine(JSON.stringify({ "@level": "info", "@message": "m", "@timestamp": "2026-01-02T03:04:05.123456+01:00" }));
    expect(e.time?.toISOString()).toBe("2026-01-02T02:04:05.123Z");
  });

  test.each([
    ["non-string @message", { "@level": "info", "@message": 5 }],
    ["null @level", { "@level": null, "@message": "m" }],
    ["object @timestamp", { "@level": "info", "@message": "m", "@timestamp": {} }],
  ])("%s (which crashes a Go host) is logged as text", (_n, obj) => {
    const line = JSON.stringify(obj);
    expect(p().parseLine(line)).toMatchObject({ level: "debug", message: line });
  });

  test.each([['["HELLO"]'], ["12345"], ['{"a":1}'], ['{"@level":"all","@message":"m"}'], ['{"@level":"off","@message":"m"}'], ["{not json"]])(
    "%s is logged raw at debug",
    (line) => {
      expect(p().parseLine(line)).toMatchObject({ level: "debug", message: line });
    },
  );

  test("levels are trimmed and case-insensitive", () => {
    expect(p().parseLine('{"@level":" WARN ","@message":"m"}').level).toBe("warn");
  });

  test("[LEVEL] text prefixes", () => {
    const parser = p();
    expect(parser.parseLine("[WARN] test line 98765").level).toBe("warn");
    expect(parser.parseLine("[TRACE] t").level).toBe("trace");
    expect(parser.parseLine("[ERROR] e").level).toBe("error");
    expect(parser.parseLine("[warn] lower case is not a tag").level).toBe("debug");
    expect(parser.parseLine("plain").level).toBe("debug");
  });

  test("panic mode: after `panic:` untagged text is error; tags and JSON keep theirs", () => {
    const parser = p();
    expect(parser.parseLine("before").level).toBe("debug");
    expect(parser.parseLine("panic: invalid foo bar").level).toBe("error");
    expect(parser.parseLine("goroutine 1 [running]:").level).toBe("error");
    expect(parser.parseLine("[INFO] tagged").level).toBe("info");
    expect(parser.parseLine('{"@level":"debug","@message":"j"}').level).toBe("debug");
    const other = p();
    expect(other.parseLine("fatal error: all goroutines are asleep").level).toBe("error");
    expect(other.parseLine("next").level).toBe("error");
  });
});

describe("hclog output", () => {
  test("timestamps have exactly six fraction digits and Z or ±hh:mm", () => {
    expect(hclogTimestamp()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/);
    expect(hclogTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5) * 1000 + 123456)).toMatch(/\.123456/);
  });

  test("keys sorted, special keys are strings, errors rendered as text", () => {
    const line = hclogLine("info", "hello", { z: 1, a: new Error("bad"), big: 10n }, "mod");
    const obj = JSON.parse(line);
    expect(Object.keys(obj)).toEqual(["@level", "@message", "@module", "@timestamp", "a", "big", "z"]);
    expect(obj).toMatchObject({ "@level": "info", "@message": "hello", a: "bad", big: "10", z: 1 });
    expect(line.endsWith("\n")).toBe(true);
    // What the host parser reads back is what was written.
    expect(new StderrLogParser().parseLine(line.trimEnd())).toMatchObject({ level: "info", message: "hello" });
  });
});

describe("readLines", () => {
  test("splits lines, strips \\r, hands out over-long lines in pieces", async () => {
    const s = new PassThrough();
    const lines: string[] = [];
    const pieces: string[] = [];
    const done = readLines(s, (l) => lines.push(l), { maxLine: 8, onFragment: (p) => pieces.push(p) });
    s.write("ab\r\ncd\n0123456789ABCDEFG\nlast");
    s.end();
    await done;
    expect(lines).toEqual(["ab", "cd", "G", "last"]);
    expect(pieces).toEqual(["01234567", "89ABCDEF"]);
  });
});
