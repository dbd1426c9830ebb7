/**
 * The span a handler runs in, so that the calls it makes are its children:
 * Go hands it down in the handler's context.Context; here it follows the
 * handler's asynchronous work through an AsyncLocalStorage. The storage is
 * made on first use: a plugin without tracing never loads async_hooks (nor
 * does a startup snapshot, which cannot hold it).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { SpanContext } from "./trace-context.js";

export class ActiveSpan {
  private store?: AsyncLocalStorage<SpanContext>;

  /** Makes `sc` current for what runs next here and everything it starts (a handler about to be called). */
  enter(sc: SpanContext): void {
    (this.store ??= new AsyncLocalStorage()).enterWith(sc);
  }

  current(): SpanContext | undefined {
    return this.store?.getStore();
  }
}
