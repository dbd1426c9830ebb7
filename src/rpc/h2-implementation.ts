/**
 * What carries HTTP/2 under the h2 engine's servers and channels: this
 * library's own implementation ("js", the default: nothing to load at start,
 * so a plugin executable's snapshot holds it whole; with TLS it runs over
 * node:tls), or Node's node:http2 ("node").
 */
export type Http2Implementation = "js" | "node";

/** Environment variable choosing what carries HTTP/2 under h2 servers and channels that do not say: "js" (default) or "node". */
export const HTTP2_ENV = "GO_PLUGIN_TS_HTTP2";

/** The HTTP/2 implementation of h2 servers and channels that do not name one: $GO_PLUGIN_TS_HTTP2, else the library's own. */
export function defaultHttp2(): Http2Implementation {
  const v = process.env[HTTP2_ENV];
  if (v === undefined || v === "" || v === "js") return "js";
  if (v === "node") return v;
  throw new RangeError(`${HTTP2_ENV}=${JSON.stringify(v)}: expected "js" or "node"`);
}
