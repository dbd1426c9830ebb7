/** Resolves when an HTTP/2 stream can take more data, or has closed (a closed stream never drains). */
export function drained(s: { on(e: string, f: () => void): unknown; off(e: string, f: () => void): unknown }): Promise<void> {
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
