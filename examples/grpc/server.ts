// A plain gRPC server (no go-plugin) built from the library's public API:
//
//   tsx examples/grpc/server.ts            prints `listening <network> <address>`, serves until stdin closes
//
// The engine is GO_PLUGIN_TS_ENGINE's (h2 or grpc-js). Each handler shows part of
// the call API: request metadata, response headers and trailers, the deadline,
// why a call was aborted, and an error with rich details.
import { anyPack, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { addServices, bindServer, Code, createServer, errorWithDetails, RpcError, service, stopServer } from "../../src/index.js";
import { Greeter } from "./gen/proto/greeter_pb.js";

/** Prints one event line (the example's log, read by its test). */
const say = (line: string) => process.stdout.write(`${line}\n`);

const greeter = service(Greeter, {
  async hello(req, ctx) {
    const lang = ctx.metadata.get("x-lang");
    say(`hello name=${JSON.stringify(req.value)} lang=${lang ?? "-"} deadline=${ctx.deadline ? "set" : "none"}`);
    if (req.value === "") {
      throw errorWithDetails(Code.INVALID_ARGUMENT, "name is empty", [anyPack(StringValueSchema, create(StringValueSchema, { value: "field: value" }))]);
    }
    if (req.value === "slow") {
      // The abort reason says why the call ended: DEADLINE_EXCEEDED or CANCELLED.
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
      const reason = ctx.signal.reason as RpcError;
      say(`slow ended: ${Code[reason.code]}`);
      throw reason;
    }
    // Response headers now; trailers go with the status.
    ctx.sendHeader({ "x-greeter": "ts" });
    ctx.setTrailer({ "x-served-by-bin": Buffer.from([0xca, 0xfe]) });
    return { value: `${lang === "fr" ? "bonjour" : "hello"}, ${req.value}` };
  },
  async *shout(reqs) {
    try {
      for await (const r of reqs) yield { value: r.value.toUpperCase() };
      say("shout ended: EOF");
    } catch (err) {
      // A peer that cancels mid-stream is an error here, not a normal end of input.
      say(`shout ended: ${err instanceof RpcError ? Code[err.code] : String(err)}`);
      throw err;
    }
  },
});

const server = createServer();
addServices(server, [greeter]);
const listener = await bindServer(server);
say(`listening ${listener.addr.network} ${listener.addr.address}`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await stopServer(server, true);
  listener.release();
});
