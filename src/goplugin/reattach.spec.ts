import { formatReattachConfig, parseReattachConfig } from "./reattach.js";

describe("reattach config JSON", () => {
  test("Go tooling's shape, both ways", () => {
    const line = '{"Protocol":"grpc","ProtocolVersion":5,"Pid":4321,"Test":true,"Addr":{"Network":"unix","String":"/tmp/plugin1"}}';
    const rc = parseReattachConfig(line);
    expect(rc).toEqual({ protocol: "grpc", protocolVersion: 5, pid: 4321, test: true, addr: { network: "unix", address: "/tmp/plugin1" } });
    expect(formatReattachConfig(rc)).toBe(line);
  });

  test("Go's plain json.Marshal of a net.UnixAddr and an empty protocol (net/rpc) are read", () => {
    const rc = parseReattachConfig('{"Protocol":"","Pid":7,"Addr":{"Name":"/tmp/p","Net":"unix"}}');
    expect(rc).toMatchObject({ protocol: "netrpc", pid: 7, test: false, addr: { network: "unix", address: "/tmp/p" } });
  });

  test("bad input is a clear error", () => {
    expect(() => parseReattachConfig("{")).toThrow(/^invalid reattach config: /);
    expect(() => parseReattachConfig('{"Protocol":"grpc","Addr":{"Network":"udp","String":"x"}}')).toThrow(/unix or tcp address/);
    expect(() => parseReattachConfig('{"Protocol":"http","Addr":{"Network":"unix","String":"x"}}')).toThrow(/unknown protocol "http"/);
  });
});
