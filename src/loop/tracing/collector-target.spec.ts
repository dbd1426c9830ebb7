import { splitHostPort } from "../../rpc/net-addr.js";
import { collectorAddr } from "./collector-target.js";

test("grpc-go's target forms", () => {
  expect(collectorAddr("dns:///127.0.0.1:4317")).toEqual({ network: "tcp", address: "127.0.0.1:4317" });
  expect(collectorAddr("dns://8.8.8.8/collector:4317")).toEqual({ network: "tcp", address: "collector:4317" });
  expect(collectorAddr("passthrough:///localhost:4317")).toEqual({ network: "tcp", address: "localhost:4317" });
  expect(collectorAddr("unix:///tmp/otel.sock")).toEqual({ network: "unix", address: "/tmp/otel.sock" });
  expect(collectorAddr("unix:relative.sock")).toEqual({ network: "unix", address: "relative.sock" });
  // No resolver for http: the whole string is the address, which cannot be dialed (as in Go).
  expect(collectorAddr("http://localhost:4317")).toEqual({ network: "tcp", address: "http://localhost:4317" });
});

test("the host a certificate is checked against", () => {
  expect(splitHostPort("collector.example:4317").host).toBe("collector.example");
  expect(splitHostPort("[::1]:4317").host).toBe("::1");
  expect(splitHostPort("localhost").host).toBe("localhost");
});
