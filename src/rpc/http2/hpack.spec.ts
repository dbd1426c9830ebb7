import fc from "fast-check";
import http2 from "node:http2";
import net from "node:net";
import { HeaderListTooLargeError, HpackDecoder, HpackEncoder, HpackError } from "./hpack.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const flat = (pairs: [string, string][]) => pairs.flat();

describe("HpackDecoder: RFC 7541 Appendix C", () => {
  test("C.2.1 literal with indexing", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))).toEqual([
      "custom-key",
      "custom-header",
    ]);
    expect(d.dynamicTable).toEqual([["custom-key", "custom-header"]]);
    expect(d.dynamicTableSize).toBe(55);
  });

  test("C.2.2 literal without indexing", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("040c 2f73 616d 706c 652f 7061 7468"))).toEqual([":path", "/sample/path"]);
    expect(d.dynamicTable).toEqual([]);
  });

  test("C.2.3 literal never indexed", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74"))).toEqual(["password", "secret"]);
    expect(d.dynamicTable).toEqual([]);
  });

  test("C.2.4 indexed field", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("82"))).toEqual([":method", "GET"]);
    expect(d.dynamicTable).toEqual([]);
  });

  const requests = (d: HpackDecoder, blocks: string[]) => {
    expect(d.decode(hex(blocks[0]))).toEqual(
      flat([
        [":method", "GET"],
        [":scheme", "http"],
        [":path", "/"],
        [":authority", "www.example.com"],
      ]),
    );
    expect(d.dynamicTable).toEqual([[":authority", "www.example.com"]]);
    expect(d.dynamicTableSize).toBe(57);
    expect(d.decode(hex(blocks[1]))).toEqual(
      flat([
        [":method", "GET"],
        [":scheme", "http"],
        [":path", "/"],
        [":authority", "www.example.com"],
        ["cache-control", "no-cache"],
      ]),
    );
    expect(d.dynamicTable).toEqual([
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ]);
    expect(d.dynamicTableSize).toBe(110);
    expect(d.decode(hex(blocks[2]))).toEqual(
      flat([
        [":method", "GET"],
        [":scheme", "https"],
        [":path", "/index.html"],
        [":authority", "www.example.com"],
        ["custom-key", "custom-value"],
      ]),
    );
    expect(d.dynamicTable).toEqual([
      ["custom-key", "custom-value"],
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ]);
    expect(d.dynamicTableSize).toBe(164);
  };

  test("C.3 requests without Huffman, sharing one decoder", () => {
    requests(new HpackDecoder(), [
      "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "8286 84be 5808 6e6f 2d63 6163 6865",
      "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ]);
  });

  test("C.4 requests with Huffman, sharing one decoder", () => {
    requests(new HpackDecoder(), [
      "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
      "8286 84be 5886 a8eb 1064 9cbf",
      "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ]);
  });

  const cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
  const responses = (d: HpackDecoder, blocks: string[]) => {
    expect(d.decode(hex(blocks[0]))).toEqual(
      flat([
        [":status", "302"],
        ["cache-control", "private"],
        ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
        ["location", "https://www.example.com"],
      ]),
    );
    expect(d.dynamicTable).toEqual([
      ["location", "https://www.example.com"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["cache-control", "private"],
      [":status", "302"],
    ]);
    expect(d.dynamicTableSize).toBe(222);
    expect(d.decode(hex(blocks[1]))).toEqual(
      flat([
        [":status", "307"],
        ["cache-control", "private"],
        ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
        ["location", "https://www.example.com"],
      ]),
    );
    // ":status 302" was evicted to make room.
    expect(d.dynamicTable).toEqual([
      [":status", "307"],
      ["location", "https://www.example.com"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["cache-control", "private"],
    ]);
    expect(d.dynamicTableSize).toBe(222);
    expect(d.decode(hex(blocks[2]))).toEqual(
      flat([
        [":status", "200"],
        ["cache-control", "private"],
        ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
        ["location", "https://www.example.com"],
        ["content-encoding", "gzip"],
        ["set-cookie", cookie],
      ]),
    );
    expect(d.dynamicTable).toEqual([
      ["set-cookie", cookie],
      ["content-encoding", "gzip"],
      ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
    ]);
    expect(d.dynamicTableSize).toBe(215);
  };

  test("C.5 responses without Huffman, table size 256, with eviction", () => {
    responses(new HpackDecoder({ maxTableSize: 256 }), [
      `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32
       3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
      "4803 3330 37c1 c0bf",
      `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970
       7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61
       6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
    ]);
  });

  test("C.6 responses with Huffman, table size 256, with eviction", () => {
    responses(new HpackDecoder({ maxTableSize: 256 }), [
      `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad
       1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
      "4883 640e ffc1 c0bf",
      `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2
       e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    ]);
  });
});

describe("HpackDecoder: table management", () => {
  test("size updates at the start of a block shrink and evict; several are allowed", () => {
    const d = new HpackDecoder();
    d.decode(hex("400161 0162 400163 0164")); // a: b, c: d
    expect(d.dynamicTable).toEqual([
      ["c", "d"],
      ["a", "b"],
    ]);
    d.decode(hex("3f02")); // size 33: below one 34-byte entry, so both go
    expect(d.dynamicTable).toEqual([]);
    expect(d.dynamicTableSize).toBe(0);
    // Two updates in a row, then a field: the last one (4096) stands.
    expect(d.decode(hex("20 3fe11f 400161 0162 be"))).toEqual(["a", "b", "a", "b"]);
    expect(d.dynamicTableSize).toBe(34);
  });

  test("an entry larger than the table empties it and is not added", () => {
    const d = new HpackDecoder({ maxTableSize: 64 });
    d.decode(hex("400161 0162"));
    expect(d.dynamicTable).toEqual([["a", "b"]]);
    const big = "x".repeat(40);
    expect(d.decode(Buffer.concat([hex("400161 28"), Buffer.from(big)]))).toEqual(["a", big]);
    expect(d.dynamicTable).toEqual([]);
    expect(d.dynamicTableSize).toBe(0);
  });

  test("the table grows past its initial capacity and indexes stay right", () => {
    const d = new HpackDecoder({ maxTableSize: 1 << 16 });
    const n = 100;
    for (let i = 0; i < n; i++) d.decode(Buffer.from(`\x40\x01k\x02${String(i).padStart(2, "0")}`, "latin1"));
    expect(d.dynamicTable.length).toBe(n);
    // Index 62 is the newest, 62+n-1 the oldest.
    expect(d.decode(hex("be"))).toEqual(["k", "99"]);
    expect(d.decode(hex("ff 22"))).toEqual(["k", "00"]); // 127 + 34 = 161 = 62 + 99
    expect(() => d.decode(hex("ff 23"))).toThrow(/index 162 beyond/);
  });
});

describe("HpackDecoder: dynamic table against a model", () => {
  // Integer with an n-bit prefix, written the plain way for the test.
  const int = (flags: number, n: number, v: number): number[] => {
    const max = (1 << n) - 1;
    if (v < max) return [flags | v];
    const out = [flags | max];
    for (v -= max; v >= 128; v = Math.floor(v / 128)) out.push((v & 0x7f) | 0x80);
    out.push(v);
    return out;
  };
  const str = (s: string) => [...int(0, 7, s.length), ...Buffer.from(s, "latin1")];
  type Op = { insert: [string, string] } | { ref: number } | { resize: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 })).map((p) => ({ insert: p })) },
    { weight: 3, arbitrary: fc.nat(200).map((k) => ({ ref: k })) },
    { weight: 1, arbitrary: fc.nat(400).map((n) => ({ resize: n })) },
  );

  test("inserts, references, resizes and evictions match a plain list", () => {
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 12 }), { maxLength: 30 }), (blocks) => {
        const max = 400;
        const d = new HpackDecoder({ maxTableSize: max });
        let model: [string, string][] = [];
        let limit = max;
        const evictToLimit = () => {
          let size = model.reduce((n, [a, b]) => n + a.length + b.length + 32, 0);
          while (size > limit) {
            const [a, b] = model.pop()!;
            size -= a.length + b.length + 32;
          }
        };
        for (const ops of blocks) {
          const bytes: number[] = [];
          const want: string[] = [];
          let started = false;
          for (const o of ops) {
            if ("resize" in o) {
              if (started) continue; // only allowed first
              bytes.push(...int(0x20, 5, o.resize));
              limit = o.resize;
              evictToLimit();
            } else if ("insert" in o) {
              started = true;
              const [n, v] = o.insert.map((t) => Buffer.from(t, "utf8").toString("latin1"));
              bytes.push(0x40, ...str(n), ...str(v));
              want.push(n, v);
              model.unshift([n, v]);
              evictToLimit();
            } else if (model.length > 0) {
              started = true;
              const k = o.ref % model.length;
              bytes.push(...int(0x80, 7, 62 + k));
              want.push(...model[k]);
            }
          }
          expect(d.decode(Buffer.from(bytes))).toEqual(want);
          expect(d.dynamicTable).toEqual(model);
          model = d.dynamicTable;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("HpackDecoder: refuses bad blocks with HpackError", () => {
  const bad: [string, string, RegExp][] = [
    ["indexed field 0", "80", /index 0/],
    ["index beyond the static table with an empty dynamic table", "be", /index 62 beyond/],
    ["literal name index beyond the tables", "0f30 0161", /index 63 beyond/],
    ["size update after a field", "82 20", /size update after a header field/],
    ["size update above our maximum", "3fe21f", /4097 exceeds the allowed 4096/],
    ["integer above 2^31-1", "ff ffffffff0f", /above 2\^31-1/],
    ["integer with more than 5 continuation bytes", "ff 8080808080 00", /5 continuation bytes/],
    ["integer cut by the end of the block", "ff", /truncated/],
    ["string longer than the rest of the block", "00 05 6162", /5 bytes overruns the block \(2 left\)/],
    ["name string missing", "00", /string missing/],
    ["value string missing", "04", /string missing/],
    ["value length cut", "04 7f", /truncated/],
    ["Huffman string with bad padding", "04 81 18", /HPACK .*padding/],
    ["Huffman string holding EOS", "04 84 ffffffff", /HPACK .*EOS/],
  ];
  test.each(bad)("%s", (_, block, message) => {
    const d = new HpackDecoder();
    let err: unknown;
    try {
      d.decode(hex(block));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HpackError);
    expect((err as Error).message).toMatch(message);
  });

  test("a header list above maxHeaderListSize throws after the whole block, keeping the table in step", () => {
    const d = new HpackDecoder({ maxHeaderListSize: 100 });
    const value = "v".repeat(60);
    // Two fields of 1 + 60 + 32 = 93 bytes each, the second added to the table.
    const block = Buffer.concat([hex("0001 61 3c"), Buffer.from(value), hex("4001 62 3c"), Buffer.from(value)]);
    expect(() => d.decode(block)).toThrow(HeaderListTooLargeError);
    expect(() => d.decode(block)).toThrow(/186 bytes, above the limit of 100/);
    expect(d.decode(hex("be"))).toEqual(["b", value]);
  });

  test("the default header list limit is 16 MiB", () => {
    const d = new HpackDecoder();
    const value = Buffer.alloc((16 << 20) - 33, 0x61);
    const block = (v: Buffer) => {
      const len = Buffer.alloc(8);
      let n = v.length - 127;
      let i = 0;
      while (n >= 128) {
        len[i++] = (n & 0x7f) | 0x80;
        n = Math.floor(n / 128);
      }
      len[i++] = n;
      return Buffer.concat([hex("0001 61 7f"), len.subarray(0, i), v]);
    };
    expect(d.decode(block(value))[1].length).toBe(value.length);
    expect(() => d.decode(block(Buffer.concat([value, hex("61")])))).toThrow(HeaderListTooLargeError);
  });
});

describe("HpackEncoder", () => {
  const enc = new HpackEncoder();

  test("exact static pairs are one indexed byte", () => {
    expect(enc.encode([":status", "200"]).toString("hex")).toBe("88");
    expect(enc.encode([":status", "500", ":method", "POST"]).toString("hex")).toBe("8e83");
  });

  test("static names are indexed literals without indexing; Huffman only when shorter", () => {
    // content-type is static 31: 4-bit prefix 15 then 16.
    const ct = enc.encode(["content-type", "application/grpc"]);
    expect(ct.subarray(0, 2).toString("hex")).toBe("0f10");
    expect(ct[2] & 0x80).toBe(0x80); // Huffman is shorter for this text
    expect(ct.length).toBeLessThan(2 + 1 + "application/grpc".length);
    // Bytes whose codes are long stay raw.
    const raw = enc.encode([":status", "\x00\x01"]);
    expect(raw.toString("hex")).toBe("08020001");
  });

  test("unknown names are literal new names, never added to the peer's table", () => {
    const block = enc.encode(["grpc-status", "0", "grpc-message", "not found"]);
    expect(block[0]).toBe(0x00);
    const d = new HpackDecoder();
    expect(d.decode(block)).toEqual(["grpc-status", "0", "grpc-message", "not found"]);
    expect(d.dynamicTable).toEqual([]);
  });

  test("a repeated block encodes the same from the cache", () => {
    const fields = [":status", "200", "content-type", "application/grpc", "x-id", "abc"];
    const a = enc.encode(fields);
    const b = enc.encode(fields);
    expect(b).toEqual(a);
    expect(new HpackDecoder().decode(b)).toEqual(fields);
  });

  test("long values use multi-byte lengths", () => {
    const v = "\xff".repeat(300);
    expect(new HpackDecoder().decode(enc.encode(["x-bin", v]))).toEqual(["x-bin", v]);
  });

  test("refuses an odd-length list and chars above 0xff", () => {
    expect(() => enc.encode(["a"])).toThrow(TypeError);
    expect(() => enc.encode(["a", "✓"])).toThrow(TypeError);
  });

  const STATIC_PAIRS = [
    [":status", "200"],
    [":status", "404"],
    [":method", "POST"],
    [":path", "/"],
    ["content-type", "application/grpc"],
    ["accept-encoding", "gzip, deflate"],
    ["user-agent", "grpc-go/1.70.0"],
    ["te", "trailers"],
  ] as const;
  const field = fc.oneof(
    fc.constantFrom(...STATIC_PAIRS).map(([n, v]) => [n, v] as [string, string]),
    fc.tuple(
      fc.stringMatching(/^[a-z0-9_.-]{1,40}$/),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
    ),
  );

  test("round-trips arbitrary lowercase names and byte values through the decoder", () => {
    fc.assert(
      fc.property(fc.array(fc.array(field, { maxLength: 20 }), { minLength: 1, maxLength: 4 }), (blocks) => {
        const d = new HpackDecoder({ maxTableSize: 256 });
        for (const pairs of blocks) {
          const fields = pairs.flat();
          expect(d.decode(enc.encode(fields))).toEqual(fields);
        }
        expect(d.dynamicTable).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

/** Header blocks of the HEADERS (+CONTINUATION) frames in a client's byte stream, per stream in order. */
function headerBlocks(stream: Buffer): { blocks: Buffer[]; rest: number } {
  const blocks: Buffer[] = [];
  let pos = 24; // connection preface
  let open: Buffer[] | undefined;
  while (stream.length - pos >= 9) {
    const len = stream.readUIntBE(pos, 3);
    const type = stream[pos + 3];
    const flags = stream[pos + 4];
    if (stream.length - pos - 9 < len) break;
    let payload = stream.subarray(pos + 9, pos + 9 + len);
    pos += 9 + len;
    if (type === 0x1) {
      if (flags & 0x8) payload = payload.subarray(1, payload.length - payload[0]); // PADDED
      if (flags & 0x20) payload = payload.subarray(5); // PRIORITY
      open = [payload];
    } else if (type === 0x9 && open) {
      open.push(payload);
    } else {
      continue;
    }
    if (flags & 0x4) {
      blocks.push(Buffer.concat(open));
      open = undefined;
    }
  }
  return { blocks, rest: pos };
}

describe("HpackDecoder against nghttp2 (node:http2's encoder)", () => {
  test("decodes request blocks using the dynamic table, Huffman, never-indexed fields and CONTINUATION", async () => {
    const received: Buffer[] = [];
    const sockets = new Set<net.Socket>();
    let onData = () => {};
    const server = net.createServer((sock) => {
      sockets.add(sock);
      sock.write(hex("000000 04 00 00000000")); // our (empty) SETTINGS
      sock.on("data", (d) => {
        received.push(d);
        onData();
      });
      sock.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on("error", () => {});

    const letters = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    const text = (n: number, seed: number) =>
      Array.from({ length: n }, (_, i) => letters[(i * 7 + seed * 13) % letters.length]).join("");
    const requests: http2.OutgoingHttpHeaders[] = [];
    for (let i = 0; i < 6; i++) {
      requests.push({
        ":method": "POST",
        ":path": "/plugin.GRPCBroker/StartStream",
        ":scheme": "http",
        ":authority": "127.0.0.1",
        "content-type": "application/grpc",
        "user-agent": "grpc-node-js/1.14.0",
        te: "trailers",
        "grpc-timeout": `${1000 + i}m`,
        "x-repeated": text(40, 1), // same each time: nghttp2 indexes it
        "x-long": text(200 + i, i), // Huffman-coded
        "x-multi": ["one", `two-${i}`],
        "x-bin-bin": Buffer.from(text(30, i)).toString("base64"),
        "x-secret": `s3cret-${i}`,
        [http2.sensitiveHeaders]: ["x-secret"],
      });
    }
    // Larger than one 16 KiB frame: continues in CONTINUATION frames.
    requests.push({ ":method": "GET", ":path": "/big", ":scheme": "http", ":authority": "127.0.0.1", "x-big": text(40_000, 3) });

    const expected = requests.map((h) => {
      const pseudo: [string, string][] = [];
      const regular: [string, string][] = [];
      for (const [k, v] of Object.entries(h)) {
        for (const one of Array.isArray(v) ? v : [v]) (k.startsWith(":") ? pseudo : regular).push([k, String(one)]);
      }
      return { pseudo, regular };
    });

    const got = new Promise<Buffer[]>((resolve) => {
      onData = () => {
        const { blocks } = headerBlocks(Buffer.concat(received));
        if (blocks.length >= requests.length) resolve(blocks);
      };
    });
    for (const h of requests) client.request(h, { endStream: true }).on("error", () => {});
    const blocks = await got;

    client.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));

    const d = new HpackDecoder();
    const decoded = blocks.map((b) => d.decode(b));
    decoded.forEach((fields, i) => {
      const pairs: [string, string][] = [];
      for (let j = 0; j < fields.length; j += 2) pairs.push([fields[j], fields[j + 1]]);
      // node:http2 sends pseudo-headers first (order among them is its own); the rest in our order.
      const pseudo = pairs.filter(([n]) => n.startsWith(":"));
      expect(pairs.slice(0, pseudo.length)).toEqual(pseudo);
      expect(pseudo.sort()).toEqual(expected[i].pseudo.sort());
      expect(pairs.slice(pseudo.length)).toEqual(expected[i].regular);
    });
    // The encoder did use its dynamic table (repeats shrink) and Huffman (smaller than the text).
    const rawSize = decoded[0].reduce((n, s) => n + s.length, 0);
    expect(blocks[0].length).toBeLessThan(rawSize * 0.8);
    expect(blocks[0].length - blocks[1].length).toBeGreaterThan(60);
    const indexed = d.dynamicTable.map(([n]) => n);
    expect(indexed).toEqual(expect.arrayContaining(["x-repeated", "content-type", "user-agent"]));
    expect(indexed).not.toContain("x-secret"); // sent never-indexed
    expect(blocks[6].length).toBeLessThan(40_000);
    expect(blocks[6].length).toBeGreaterThan(16_384);
  });
});
