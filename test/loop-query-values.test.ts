// Pure conversions of the ContractReader surface: the query DSL ↔ loop.chain.common messages
// (with Go's quirks and error texts) and VersionedBytes encoding 3 (values.v1.Value). Their
// behaviour against real Go is proven by the LOOP matrix (test/loop-matrix.test.ts).
import { create, toBinary } from "@bufbuild/protobuf";
import { Confidence, CursorDirection, ExpressionSchema, LimitAndSortSchema } from "../src/gen/loop/chain-common/query_pb.js";
import { ValueSchema } from "../src/gen/loop/values/v1/values_pb.js";
import {
  expressionFromProto,
  expressionToProto,
  limitAndSortFromProto,
  limitAndSortToProto,
  query,
  QueryInvalidArgument,
  type Expression,
} from "../src/loop/wire/query.js";
import { bigInt, decimal, Decimal, decodeValues, encodeValues, float64, fromValue, int64, toValue, uint64, ValuesDecodeError } from "../src/loop/wire/values.js";

const enc = (v: unknown) => ({ $typeName: "codec.VersionedBytes" as const, version: 2, data: new TextEncoder().encode(JSON.stringify(v)) });
const dec = (_name: string, vb: { data: Uint8Array } | undefined) => JSON.parse(new TextDecoder().decode(vb!.data));

describe("query expressions", () => {
  const tree: Expression = query.and(
    query.comparator("field", { value: { x: 1 }, operator: "gte" }, { value: "b", operator: "neq" }),
    query.block(10n, "lt"),
    query.confidence(Confidence.Finalized),
    query.timestamp(1700000000, "eq"),
    query.txHash("0xabc"),
    query.or(query.block("1", "eq"), query.block("2", "gt")),
  );

  test("round trip through the proto messages keeps every node", () => {
    const pb = expressionToProto(tree, enc);
    // Survives serialisation, i.e. is a well-formed message.
    expect(toBinary(ExpressionSchema, pb).length).toBeGreaterThan(40);
    expect(expressionFromProto(pb, dec)).toEqual(tree);
  });

  test("operators and confidence use Go's numbers", () => {
    const pb = expressionToProto(query.comparator("f", { value: 1, operator: "lte" }), enc);
    expect(pb.evaluator.case).toBe("primitive");
    const p = pb.evaluator.value as { primitive: { case: string; value: { valueComparators: Array<{ operator: number }> } } };
    expect(p.primitive.value.valueComparators[0].operator).toBe(5);
    const c = expressionToProto(query.confidence(Confidence.Safe), enc).evaluator.value as { primitive: { value: number } };
    expect(c.primitive.value).toBe(2);
  });

  test("an empty expression and an unknown confidence give Go's errors", () => {
    expect(() => expressionFromProto(create(ExpressionSchema, {}), dec)).toThrow(new QueryInvalidArgument("unknown expression type: <nil>"));
    const bad = create(ExpressionSchema, { evaluator: { case: "primitive", value: { primitive: { case: "confidence", value: 9 as Confidence } } } });
    expect(() => expressionFromProto(bad, dec)).toThrow("invalid pb confidence level: 9");
  });

  test("limit and sort: count limit keeps the sort; a cursor limit carries Go's direction numbers", () => {
    const count = query.countLimit(5, { by: "block", direction: "desc" }, { by: "timestamp", direction: "asc" });
    expect(limitAndSortFromProto(limitAndSortToProto(count))).toEqual(count);
    const cursor = query.cursorLimit("c-1", "following", 3);
    const pb = limitAndSortToProto(cursor);
    // Go casts its CursorFollowing (2) into the proto enum as is.
    expect(pb.limit?.direction).toBe(2);
    expect(limitAndSortFromProto(pb)).toEqual(cursor);
    expect(limitAndSortFromProto(limitAndSortToProto(query.cursorLimit("c", "preceding", 1))).limit.direction).toBe("preceding");
  });

  test("a cursor without a direction is refused with Go's text, both ways", () => {
    const text = "Limit cursor and cursor direction must both be defined or undefined";
    expect(() => limitAndSortToProto({ sortBy: [], limit: { count: 1n, cursor: "c" } })).toThrow(text);
    expect(() => limitAndSortFromProto(create(LimitAndSortSchema, { limit: { count: 1n, direction: CursorDirection.Following } }))).toThrow(text);
    expect(limitAndSortFromProto(undefined)).toEqual({ sortBy: [], limit: { count: 0n } });
  });
});

describe("values.v1 (VersionedBytes encoding 3)", () => {
  test("the default mapping of TS values and back", () => {
    const when = new Date("2026-11-30T10:00:00.123Z");
    const v = { s: "x", b: true, n: 7, f: 1.5, big: 1n << 70n, bytes: Uint8Array.of(1, 2), list: [1, "a", null], when, nested: { k: -3 } };
    const back = decodeValues(encodeValues(v)) as Record<string, unknown>;
    expect(back).toEqual({ ...v, list: [1, "a", null] });
    expect((back.when as Date).getTime()).toBe(when.getTime());
  });

  test("kinds: number → int64/float64, bigint → BigInt, explicit uint64/int64/float64/decimal", () => {
    expect(toValue(5).value.case).toBe("int64Value");
    expect(toValue(0.5).value.case).toBe("float64Value");
    expect(toValue(5n).value.case).toBe("bigintValue");
    expect(toValue(uint64(2n ** 64n - 1n)).value).toEqual({ case: "uint64Value", value: 2n ** 64n - 1n });
    expect(toValue(int64(-5)).value).toEqual({ case: "int64Value", value: -5n });
    expect(toValue(float64(3)).value).toEqual({ case: "float64Value", value: 3 });
    expect(fromValue(toValue(bigInt(-300)))).toBe(-300n);
    expect(fromValue(toValue(decimal(-12345n, -2)))).toEqual(new Decimal(-12345n, -2));
    // Large int64/uint64 values come back as bigints, small ones as numbers (as CBOR decoding does).
    expect(fromValue(toValue(uint64(2n ** 60n)))).toBe(2n ** 60n);
    expect(fromValue(toValue(uint64(9)))).toBe(9);
  });

  test("Go's BigInt sign and magnitude", () => {
    const pb = toValue(-258n).value;
    expect(pb.case).toBe("bigintValue");
    expect(pb.value).toMatchObject({ sign: -1n, absVal: Uint8Array.of(1, 2) });
    expect(toValue(0n).value.value).toMatchObject({ sign: 0n, absVal: new Uint8Array() });
  });

  test("null is an empty Value (Go's nil), and an empty Value reads back as null", () => {
    expect(toBinary(ValueSchema, toValue(null)).length).toBe(0);
    expect(decodeValues(new Uint8Array())).toBeNull();
  });

  test("out-of-range explicit kinds, non-string map keys and garbage bytes are refused", () => {
    expect(() => toValue(uint64(-1))).toThrow("does not fit in a uint64");
    expect(() => toValue(int64(2n ** 63n))).toThrow("does not fit in an int64");
    expect(() => toValue(new Map([[1, "a"]]))).toThrow("map key 1 is not a string");
    expect(() => decodeValues(Uint8Array.of(0xff, 0xff, 0xff))).toThrow(ValuesDecodeError);
    expect(() => decodeValues(Uint8Array.of(0xff, 0xff, 0xff))).toThrow(/^invalid type: proto: /);
  });
});
