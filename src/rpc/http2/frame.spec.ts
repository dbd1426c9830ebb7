import fc from "fast-check";
import {
  ConnectionError,
  ErrorCode,
  Flag,
  FRAME_HEADER_LENGTH,
  FrameReader,
  FrameType,
  frameBytes,
  goawayFrame,
  headerFrames,
  rstStreamFrame,
  settingsFrame,
  unpadded,
  windowUpdateFrame,
  type Frame,
} from "./frame.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** A copy of `b` in an ArrayBuffer of its own, so "is a view of it" can be told by identity. */
function own(b: Uint8Array): Buffer {
  const ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return Buffer.from(ab);
}

const plain = (f: Frame) => ({ type: f.type, flags: f.flags, streamId: f.streamId, payload: Buffer.from(f.payload).toString("hex") });

const arbFrame = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  flags: fc.integer({ min: 0, max: 255 }),
  streamId: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

describe("FrameReader", () => {
  test("any split of a stream of frames gives every frame whole and in order; a frame inside one chunk is a view of it", () => {
    fc.assert(
      fc.property(fc.array(arbFrame, { maxLength: 12 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }), (frames, cutsAt) => {
        const wire = Buffer.concat(frames.map((f) => frameBytes(f.type, f.flags, f.streamId, f.payload)));
        const cuts = [...new Set(cutsAt.map((c) => Math.floor(c * wire.length)))].sort((a, b) => a - b);
        const bounds = [0, ...cuts, wire.length];
        const chunks: { buf: Buffer; start: number }[] = [];
        for (let i = 0; i + 1 < bounds.length; i++) chunks.push({ buf: own(wire.subarray(bounds[i], bounds[i + 1])), start: bounds[i]! });

        const r = new FrameReader(300);
        const got: { f: Frame; chunk: number }[] = [];
        chunks.forEach((c, i) =>
          r.push(c.buf, (f) => {
            got.push({ f, chunk: i });
            return true;
          }),
        );
        expect(got.map((g) => plain(g.f))).toEqual(frames.map((f) => ({ ...f, payload: Buffer.from(f.payload).toString("hex") })));

        // Where each frame lies on the wire decides whether it may be a view of the chunk that completed it.
        let at = 0;
        frames.forEach((f, i) => {
          const start = at;
          const end = at + FRAME_HEADER_LENGTH + f.payload.length;
          at = end;
          const { f: out, chunk } = got[i]!;
          const c = chunks[chunk]!;
          const inside = start >= c.start && end <= c.start + c.buf.length;
          if (inside) {
            expect(out.payload.buffer === c.buf.buffer).toBe(true);
            expect(out.payload.byteOffset).toBe(c.buf.byteOffset + start - c.start + FRAME_HEADER_LENGTH);
          } else {
            expect(chunks.some((other) => out.payload.buffer === other.buf.buffer)).toBe(false);
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  test("after a frame split across chunks, the frames wholly inside the next chunk are still views of it", () => {
    const wire = Buffer.concat([frameBytes(FrameType.DATA, 0, 1, Buffer.alloc(50, 1)), frameBytes(FrameType.DATA, 0, 3, Buffer.alloc(50, 3))]);
    const first = own(wire.subarray(0, 30));
    const second = own(wire.subarray(30));
    const r = new FrameReader(100);
    const got: Frame[] = [];
    r.push(first, (f) => got.push(f) > 0);
    r.push(second, (f) => got.push(f) > 0);
    expect(got.map((f) => f.streamId)).toEqual([1, 3]);
    expect(got[1]!.payload.buffer === second.buffer).toBe(true);
    expect(got[1]!.payload.equals(Buffer.alloc(50, 3))).toBe(true);
  });

  test("the same when the split frame is a bare header cut inside", () => {
    const wire = Buffer.concat([frameBytes(FrameType.SETTINGS, Flag.ACK, 0), frameBytes(FrameType.DATA, 0, 3, Buffer.from("x"))]);
    const second = own(wire.subarray(1));
    const r = new FrameReader(100);
    const got: Frame[] = [];
    r.push(own(wire.subarray(0, 1)), (f) => got.push(f) > 0);
    r.push(second, (f) => got.push(f) > 0);
    expect(got.map((f) => [f.type, f.flags, f.streamId, f.payload.toString()])).toEqual([
      [FrameType.SETTINGS, Flag.ACK, 0, ""],
      [FrameType.DATA, 0, 3, "x"],
    ]);
    expect(got[1]!.payload.buffer === second.buffer).toBe(true);
  });

  test("one byte at a time", () => {
    const frames = [frameBytes(FrameType.PING, 0, 0, Buffer.alloc(8, 7)), frameBytes(FrameType.DATA, Flag.END_STREAM, 3, Buffer.from("hello"))];
    const wire = Buffer.concat(frames);
    const r = new FrameReader(16_384);
    const got: Frame[] = [];
    for (let i = 0; i < wire.length; i++) r.push(wire.subarray(i, i + 1), (f) => got.push(f) > 0);
    expect(got.map(plain)).toEqual([
      { type: FrameType.PING, flags: 0, streamId: 0, payload: "0707070707070707" },
      { type: FrameType.DATA, flags: Flag.END_STREAM, streamId: 3, payload: Buffer.from("hello").toString("hex") },
    ]);
  });

  test("the reserved bit of the stream id is ignored", () => {
    const b = frameBytes(FrameType.DATA, 0, 5, Buffer.from("x"));
    b[5]! |= 0x80;
    const got: Frame[] = [];
    new FrameReader(100).push(b, (f) => got.push(f) > 0);
    expect(got[0]!.streamId).toBe(5);
  });

  test("an oversized frame is a FRAME_SIZE_ERROR once the frames before it are handed over, from its header alone", () => {
    const before = [frameBytes(FrameType.PING, 0, 0, Buffer.alloc(8)), frameBytes(FrameType.DATA, 0, 1, Buffer.alloc(100))];
    // Only the header of the oversized frame arrives: its length is enough to refuse it.
    const big = frameBytes(FrameType.DATA, 0, 1, Buffer.alloc(101)).subarray(0, FRAME_HEADER_LENGTH);
    for (const split of [false, true]) {
      const r = new FrameReader(100);
      const got: Frame[] = [];
      const wire = Buffer.concat([...before, big]);
      let err: unknown;
      try {
        if (split) {
          r.push(wire.subarray(0, wire.length - 4), (f) => got.push(f) > 0);
          expect(got).toHaveLength(2);
        }
        r.push(split ? wire.subarray(wire.length - 4) : wire, (f) => got.push(f) > 0);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).code).toBe(ErrorCode.FRAME_SIZE_ERROR);
      expect((err as ConnectionError).message).toMatch(/101 bytes exceeds SETTINGS_MAX_FRAME_SIZE 100/);
      expect(got.map((f) => [f.type, f.payload.length])).toEqual([
        [FrameType.PING, 8],
        [FrameType.DATA, 100],
      ]);
    }
  });

  test("a frame of exactly the limit passes", () => {
    const got: Frame[] = [];
    new FrameReader(100).push(frameBytes(FrameType.DATA, 0, 1, Buffer.alloc(100)), (f) => got.push(f) > 0);
    expect(got).toHaveLength(1);
  });

  test("stops when the callback returns false; the next push resumes with the frames left", () => {
    fc.assert(
      fc.property(fc.array(arbFrame, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (frames, chunkSize, stopSeed) => {
        const wire = Buffer.concat(frames.map((f) => frameBytes(f.type, f.flags, f.streamId, f.payload)));
        const r = new FrameReader(300);
        const got: Frame[] = [];
        // The callback refuses to go on every `stopEvery`-th frame; each push hands over at most until then.
        const stopEvery = 1 + (stopSeed % 3);
        for (let at = 0; at < wire.length; at += chunkSize) {
          let n = 0;
          r.push(wire.subarray(at, at + chunkSize), (f) => {
            got.push(f);
            return ++n < stopEvery;
          });
        }
        // What a stop left over comes out with later (empty) pushes.
        for (let i = 0; i < frames.length; i++) {
          let n = 0;
          r.push(Buffer.alloc(0), (f) => {
            got.push(f);
            return ++n < stopEvery;
          });
        }
        expect(got.map(plain)).toEqual(frames.map((f) => ({ ...f, payload: Buffer.from(f.payload).toString("hex") })));
      }),
      { numRuns: 200 },
    );
  });

  test("a stop hands over nothing more from that push", () => {
    const wire = Buffer.concat([1, 3, 5].map((id) => frameBytes(FrameType.DATA, 0, id, Buffer.from([id]))));
    const r = new FrameReader(100);
    const got: number[] = [];
    r.push(wire, (f) => {
      got.push(f.streamId);
      return false;
    });
    expect(got).toEqual([1]);
    r.push(frameBytes(FrameType.DATA, 0, 7).subarray(0, 4), (f) => got.push(f.streamId) > 0);
    expect(got).toEqual([1, 3, 5]);
  });
});

describe("headerFrames", () => {
  const parse = (wire: Buffer, max: number) => {
    const out: Frame[] = [];
    new FrameReader(max).push(wire, (f) => out.push(f) > 0);
    return out;
  };

  test("a block within one frame is a single HEADERS with END_HEADERS (and END_STREAM when asked)", () => {
    const block = Buffer.from("abc");
    expect(parse(headerFrames(3, block, false, 16_384), 16_384).map((f) => [f.type, f.flags, f.streamId, f.payload.toString()])).toEqual([
      [FrameType.HEADERS, Flag.END_HEADERS, 3, "abc"],
    ]);
    expect(parse(headerFrames(3, block, true, 16_384), 16_384).map((f) => f.flags)).toEqual([Flag.END_HEADERS | Flag.END_STREAM]);
  });

  test("an empty block is one empty HEADERS", () => {
    expect(headerFrames(1, Buffer.alloc(0), true, 10)).toEqual(hex("000000 01 05 00000001"));
  });

  test("a longer block is HEADERS + CONTINUATIONs no longer than the frame size; END_STREAM on the first, END_HEADERS on the last", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 700 }), fc.boolean(), (bytes, max, end) => {
        const block = Buffer.from(bytes);
        const frames = parse(headerFrames(7, block, end, max), max);
        const n = Math.max(1, Math.ceil(block.length / max));
        expect(frames).toHaveLength(n);
        frames.forEach((f, i) => {
          expect(f.type).toBe(i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION);
          expect(f.streamId).toBe(7);
          let flags = i === n - 1 ? Flag.END_HEADERS : 0;
          if (i === 0 && end) flags |= Flag.END_STREAM;
          expect(f.flags).toBe(flags);
          expect(f.payload.length).toBeLessThanOrEqual(max);
          if (i < n - 1) expect(f.payload.length).toBe(max);
        });
        expect(Buffer.concat(frames.map((f) => f.payload))).toEqual(block);
      }),
      { numRuns: 200 },
    );
  });
});

describe("unpadded", () => {
  const f = (type: number, flags: number, payload: Buffer): Frame => ({ type, flags, streamId: 1, payload });

  test("without PADDED the payload is returned as it is", () => {
    const p = Buffer.from("body");
    expect(unpadded(f(FrameType.DATA, 0, p))).toBe(p);
  });

  test("strips the pad length byte and the padding, as a view", () => {
    const p = hex("03 6869 000000");
    const out = unpadded(f(FrameType.DATA, Flag.PADDED, p));
    expect(out.toString()).toBe("hi");
    expect(out.buffer === p.buffer).toBe(true);
    expect(unpadded(f(FrameType.DATA, Flag.PADDED, hex("00")))).toHaveLength(0);
    expect(unpadded(f(FrameType.DATA, Flag.PADDED, hex("02 0000"))).length).toBe(0);
  });

  test("HEADERS with PRIORITY loses its 5 priority bytes, after the padding is gone", () => {
    expect(unpadded(f(FrameType.HEADERS, Flag.PRIORITY, hex("80000003 10 6869"))).toString()).toBe("hi");
    expect(unpadded(f(FrameType.HEADERS, Flag.PRIORITY | Flag.PADDED, hex("02 80000003 10 6869 0000"))).toString()).toBe("hi");
    // PRIORITY on DATA means nothing (0x20 is not a DATA flag).
    expect(unpadded(f(FrameType.DATA, Flag.PRIORITY, hex("80000003 10 6869"))).length).toBe(7);
  });

  test("bad pad lengths and short priority fields are connection errors", () => {
    const code = (fr: Frame) => {
      try {
        unpadded(fr);
      } catch (e) {
        expect(e).toBeInstanceOf(ConnectionError);
        return [(e as ConnectionError).code, (e as Error).message];
      }
      return undefined;
    };
    expect(code(f(FrameType.DATA, Flag.PADDED, Buffer.alloc(0)))).toEqual([ErrorCode.FRAME_SIZE_ERROR, "padded frame without a pad length"]);
    // Padding as long as the rest of the payload, or longer, leaves no room: PROTOCOL_ERROR (RFC 9113 §6.1).
    expect(code(f(FrameType.DATA, Flag.PADDED, hex("03 000000")))).toBeUndefined();
    expect(code(f(FrameType.DATA, Flag.PADDED, hex("04 000000")))).toEqual([ErrorCode.PROTOCOL_ERROR, "padding of 4 bytes in a 4-byte payload"]);
    expect(code(f(FrameType.HEADERS, Flag.PADDED, hex("ff 00")))).toEqual([ErrorCode.PROTOCOL_ERROR, "padding of 255 bytes in a 2-byte payload"]);
    expect(code(f(FrameType.HEADERS, Flag.PRIORITY, hex("00000003")))?.[0]).toBe(ErrorCode.FRAME_SIZE_ERROR);
    expect(code(f(FrameType.HEADERS, Flag.PRIORITY | Flag.PADDED, hex("01 00000003 00")))?.[0]).toBe(ErrorCode.FRAME_SIZE_ERROR);
    expect(code(f(FrameType.HEADERS, Flag.PRIORITY | Flag.PADDED, hex("01 0000000310 00")))).toBeUndefined();
  });
});

describe("frame writers", () => {
  test("frameBytes: 24-bit length, type, flags, 31-bit stream id", () => {
    expect(frameBytes(FrameType.PING, Flag.ACK, 0, Buffer.from("12345678"))).toEqual(hex("000008 06 01 00000000 3132333435363738"));
    expect(frameBytes(FrameType.DATA, Flag.END_STREAM, 0x7fffffff)).toEqual(hex("000000 00 01 7fffffff"));
    const big = frameBytes(FrameType.DATA, 0, 1, Buffer.alloc(0x012345));
    expect(big.subarray(0, 9)).toEqual(hex("012345 00 00 00000001"));
  });

  test("settingsFrame: 6 bytes per setting, values as unsigned 32-bit", () => {
    expect(
      settingsFrame([
        [0x3, 2 ** 32 - 1],
        [0x4, 65_535],
      ]),
    ).toEqual(hex("00000c 04 00 00000000 0003 ffffffff 0004 0000ffff"));
    expect(settingsFrame([])).toEqual(hex("000000 04 00 00000000"));
  });

  test("goawayFrame: last stream id, error code, debug data", () => {
    expect(goawayFrame(5, ErrorCode.ENHANCE_YOUR_CALM)).toEqual(hex("000008 07 00 00000000 00000005 0000000b"));
    expect(goawayFrame(0, ErrorCode.PROTOCOL_ERROR, "é")).toEqual(hex("00000a 07 00 00000000 00000000 00000001 c3a9"));
  });

  test("rstStreamFrame and windowUpdateFrame", () => {
    expect(rstStreamFrame(3, ErrorCode.CANCEL)).toEqual(hex("000004 03 00 00000003 00000008"));
    expect(windowUpdateFrame(0, 2 ** 31 - 1)).toEqual(hex("000004 08 00 00000000 7fffffff"));
    expect(windowUpdateFrame(9, 1)).toEqual(hex("000004 08 00 00000009 00000001"));
  });
});
