import type { Readable } from "node:stream";

/**
 * Splits a byte stream into lines (a trailing `\r` dropped). A line longer than
 * `maxLine` bytes is handed out in pieces through `onFragment`, like go-plugin's
 * fixed-size stderr reader. Returns a promise that settles at end of stream.
 */
export function readLines(
  stream: Readable,
  onLine: (line: string) => void,
  opts: { maxLine?: number; onFragment?: (piece: string) => void } = {},
): Promise<void> {
  const max = opts.maxLine ?? 64 * 1024;
  let buf: Buffer = Buffer.alloc(0);
  const emit = (b: Buffer) => {
    let s = b.toString("utf8");
    if (s.endsWith("\r")) s = s.slice(0, -1);
    onLine(s);
  };
  return new Promise((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const nl = buf.indexOf(10);
        if (nl >= 0 && nl <= max) {
          emit(buf.subarray(0, nl));
          buf = buf.subarray(nl + 1);
        } else if (buf.length > max) {
          (opts.onFragment ?? onLine)(buf.subarray(0, max).toString("utf8"));
          buf = buf.subarray(max);
        } else break;
      }
    });
    const end = () => {
      if (buf.length) emit(buf);
      buf = Buffer.alloc(0);
      resolve();
    };
    stream.once("end", end);
    stream.once("close", end);
    stream.once("error", end);
  });
}
