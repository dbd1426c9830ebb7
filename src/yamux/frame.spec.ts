import { decodeHeader, encodeHeader, Flag, FrameReader, FrameType } from "./frame.js";

describe("yamux frames", () => {
  test("header layout: version, type, flags, stream id, length, big-endian", () => {
    const h = encodeHeader(FrameType.WindowUpdate, Flag.SYN | Flag.ACK, 0x01020304, 0x0a0b0c0d);
    expect([...h]).toEqual([0, 1, 0, 3, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d]);
    expect(decodeHeader(h)).toEqual({ version: 0, type: 1, flags: 3, streamId: 0x01020304, length: 0x0a0b0c0d });
  });

  test("the reader reassembles frames split at any byte, and only Data frames carry payload", () => {
    const payload = Buffer.from("hello yamux");
    const wire = Buffer.concat([
      encodeHeader(FrameType.Data, 0, 1, payload.length),
      payload,
      encodeHeader(FrameType.Ping, Flag.SYN, 0, 7),
      encodeHeader(FrameType.Data, Flag.FIN, 1, 0),
    ]);
    for (let cut = 1; cut < wire.length; cut++) {
      const r = new FrameReader();
      const frames = [...r.push(wire.subarray(0, cut)), ...r.push(wire.subarray(cut))];
      expect(frames.map((f) => [f.header.type, f.header.flags, f.payload?.toString()])).toEqual([
        [FrameType.Data, 0, "hello yamux"],
        [FrameType.Ping, Flag.SYN, undefined],
        [FrameType.Data, Flag.FIN, ""],
      ]);
    }
  });

  test("a bad version or type is an error", () => {
    expect(() => new FrameReader().push(Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]))).toThrow(/invalid protocol version: 1/);
    expect(() => new FrameReader().push(Buffer.from([0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]))).toThrow(/invalid message type: 4/);
  });
});
