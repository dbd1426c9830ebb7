import { splitHostPort, tcpConnectOptions } from "./net-addr.js";

test("splitHostPort: at the last colon, IPv6 brackets removed, the port only when numeric", () => {
  expect(splitHostPort("collector.example:4317")).toEqual({ host: "collector.example", port: 4317 });
  expect(splitHostPort("[::1]:4317")).toEqual({ host: "::1", port: 4317 });
  expect(splitHostPort("::1:4317")).toEqual({ host: "::1", port: 4317 });
  expect(splitHostPort("localhost")).toEqual({ host: "localhost" });
  expect(splitHostPort("/tmp/plugin123")).toEqual({ host: "/tmp/plugin123" });
  expect(splitHostPort("host:http")).toEqual({ host: "host" });
});

test("tcpConnectOptions: an empty host is the loopback", () => {
  expect(tcpConnectOptions(":1234")).toEqual({ host: "127.0.0.1", port: 1234 });
  expect(tcpConnectOptions("[::1]:5")).toEqual({ host: "::1", port: 5 });
});
