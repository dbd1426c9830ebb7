// How a client call ends when the server's answer is malformed, on both engines' channels. The
// expected codes and texts are grpc-go's client's (internal/transport/http2_client.go, v1.78).
import http2 from "node:http2";
import { connect as netConnect, type AddressInfo } from "node:net";
import { GRPCController } from "../gen/plugin/grpc_controller_pb.js";
import { createClient, type Channel } from "./client.js";
import { duplexChannel } from "./duplex-channel.js";
import { H2Channel } from "./h2-channel.js";
import { Code, RpcError } from "./status.js";

const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);

type Answer = (s: http2.ServerHttp2Stream) => void;

const answers: Array<[string, Answer, Code, string]> = [
  [
    "DATA with END_STREAM and no trailers",
    (s) => {
      s.respond({ ":status": 200, "content-type": "application/grpc" });
      s.end(EMPTY_MESSAGE);
    },
    Code.INTERNAL,
    "server closed the stream without sending trailers",
  ],
  [
    "trailers whose grpc-status is not a number",
    (s) => {
      s.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "abc", "grpc-message": "ignored" }));
      s.end(EMPTY_MESSAGE);
    },
    Code.UNKNOWN,
    'transport: malformed grpc-status: strconv.ParseInt: parsing "abc": invalid syntax',
  ],
  [
    "a trailers-only answer whose grpc-status is 0x0 (not OK)",
    (s) => s.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "0x0" }, { endStream: true }),
    Code.UNKNOWN,
    'transport: malformed grpc-status: strconv.ParseInt: parsing "0x0": invalid syntax',
  ],
  [
    "trailers with a grpc-message and no grpc-status",
    (s) => {
      s.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      s.on("wantTrailers", () => s.sendTrailers({ "grpc-message": "boom%20here" }));
      s.end(EMPTY_MESSAGE);
    },
    Code.UNKNOWN,
    "boom here",
  ],
];

const channels: Array<[string, (port: number) => Channel]> = [
  ["h2 engine (H2Channel)", (port) => new H2Channel({ network: "tcp", address: `127.0.0.1:${port}` })],
  ["grpc-js engine (duplexChannel)", (port) => duplexChannel(async () => netConnect(port, "127.0.0.1"))],
];

describe.each(channels)("%s", (_name, open) => {
  test.each(answers)("%s", async (_what, answer, code, details) => {
    const server = http2.createServer();
    server.on("stream", (s) => {
      s.on("error", () => {});
      // Read the request before answering, so the call is fully sent.
      s.resume();
      s.on("end", () => answer(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const channel = open((server.address() as AddressInfo).port);
    try {
      const err = await createClient(GRPCController, channel)
        .shutdown({}, { deadline: 10_000 })
        .then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect({ code: (err as RpcError).code, details: (err as RpcError).details }).toEqual({ code, details });
    } finally {
      channel.close();
      await new Promise((r) => server.close(r));
    }
  });
});
