import type { Readable } from "node:stream";

/**
 * Longest handshake line accepted, newline excluded: go-plugin reads it with a
 * default bufio.Scanner, whose token limit is 64 KiB. A real line is under
 * 2 KiB even with an AutoMTLS certificate.
 */
export const MAX_HANDSHAKE_LINE = 64 * 1024 - 1;

export type FirstLine =
  | { kind: "line"; line: string }
  /** stdout closed before any newline; `rest` is what came without one, if anything. */
  | { kind: "eof"; rest?: string }
  /** No newline within the cap; `head` is the start of what came. */
  | { kind: "too-long"; head: string };

/**
 * Reads the first line of `stdout` within `max` bytes; everything after it
 * (or after the cap) is read and discarded so the pipe never fills. Each
 * chunk is scanned once.
 */
export function readFirstLine(stdout: Readable, max = MAX_HANDSHAKE_LINE): { line: Promise<FirstLine>; eof: Promise<void> } {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  let resolveLine!: (l: FirstLine) => void;
  const line = new Promise<FirstLine>((r) => (resolveLine = r));
  const settle = (l: FirstLine) => {
    settled = true;
    chunks.length = 0;
    resolveLine(l);
  };
  stdout.on("data", (chunk: Buffer) => {
    if (settled) return;
    const nl = chunk.indexOf(10);
    if (nl >= 0 && size + nl <= max) {
      chunks.push(chunk.subarray(0, nl));
      return settle({ kind: "line", line: Buffer.concat(chunks).toString("utf8") });
    }
    chunks.push(chunk);
    size += chunk.length;
    if (size > max) settle({ kind: "too-long", head: Buffer.concat(chunks).subarray(0, 256).toString("utf8") });
  });
  const eof = new Promise<void>((resolve) => {
    const end = () => {
      if (!settled) settle(size ? { kind: "eof", rest: Buffer.concat(chunks).toString("utf8") } : { kind: "eof" });
      resolve();
    };
    stdout.once("end", end);
    stdout.once("close", end);
    stdout.once("error", end);
  });
  return { line, eof };
}
