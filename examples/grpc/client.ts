// A plain gRPC client (no go-plugin) built from the library's public API:
//
//   tsx examples/grpc/client.ts unix /path/to/socket      (or: tcp 127.0.0.1:PORT)
//
// Calls greeter.Greeter as examples/grpc/server.ts or a grpc-go server serves
// it, and prints what each call shows of the call API.
import { anyUnpack, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, dialChannel, Metadata, RpcError, statusDetails, type NetAddr } from "../../src/index.js";
import { Greeter } from "./gen/proto/greeter_pb.js";

const [network, address] = process.argv.slice(2);
if ((network !== "unix" && network !== "tcp") || !address) throw new Error("usage: client.ts unix|tcp ADDRESS");
const channel = dialChannel({ network, address } as NetAddr);
const greeter = createClient(Greeter, channel);
const say = (line: string) => process.stdout.write(`${line}\n`);

try {
  // Metadata out; response headers and trailers back through onHeader / onTrailer.
  let headers = new Metadata();
  let trailers = new Metadata();
  const reply = await greeter.hello(
    { value: "ts" },
    { metadata: { "x-lang": "fr" }, deadline: 5000, onHeader: (h) => (headers = h), onTrailer: (t) => (trailers = t) },
  );
  say(`hello: ${reply.value}; header x-greeter=${headers.get("x-greeter")}; trailer x-served-by-bin=${trailers.get("x-served-by-bin")?.toString("hex")}`);

  // A failed call: code, message, and the google.rpc.Status details.
  try {
    await greeter.hello({ value: "" });
  } catch (err) {
    const e = err as RpcError;
    const detail = statusDetails(e)?.details[0];
    say(`empty: ${Code[e.code]} "${e.details}" detail=${detail ? anyUnpack(detail, StringValueSchema)?.value : "-"}`);
  }

  // The deadline passes while the server waits; then a call cancelled by its caller.
  try {
    await greeter.hello({ value: "slow" }, { deadline: 300 });
  } catch (err) {
    say(`slow with deadline: ${Code[(err as RpcError).code]}`);
  }
  try {
    await greeter.hello({ value: "slow" }, { signal: AbortSignal.timeout(300) });
  } catch (err) {
    say(`slow cancelled: ${Code[(err as RpcError).code]}`);
  }

  // Bidirectional streaming.
  async function* words() {
    yield { value: "a" };
    yield { value: "b" };
  }
  const got: string[] = [];
  for await (const r of greeter.shout(words())) got.push(r.value);
  say(`shout: ${got.join(",")}`);
} finally {
  channel.close();
}
