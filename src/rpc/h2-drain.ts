import type { Http2Stream } from "node:http2";

/** Resolves when an HTTP/2 stream can take more data, or has closed (a closed stream never drains). */
export function drained(s: Http2Stream): Promise<void> {
  return new Promise((resolve) => {
    const go = () => {
      s.off("drain", go);
      s.off("close", go);
      resolve();
    };
    s.on("drain", go);
    s.on("close", go);
  });
}
