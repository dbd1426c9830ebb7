import { create } from "@bufbuild/protobuf";
import {
  BooleanOperator,
  ComparisonOperator as ComparisonOperatorPb,
  Confidence as ConfidencePb,
  CursorDirection as CursorDirectionPb,
  ExpressionSchema,
  LimitAndSortSchema,
  SortDirection as SortDirectionPb,
  SortType,
  type Expression as ExpressionPb,
  type LimitAndSort as LimitAndSortPb,
  type Primitive as PrimitivePb,
} from "../../gen/loop/chain-common/query_pb.js";
import type { VersionedBytes } from "../../gen/loop/internal/codec/codec_pb.js";

/**
 * chainlink-common's query DSL (`pkg/types/query`) as TS data: the filter
 * expressions of ContractReader.QueryKey(s) and their limit/sort, with
 * builders named after Go's (`query.Comparator`, `query.And`, …) and the
 * conversions to and from `loop.chain.common` messages that Go's
 * `chaincommonpb` performs, error texts included.
 */

export type ComparisonOperator = "eq" | "neq" | "gt" | "lt" | "gte" | "lte";
/** Confidence levels by their proto numbers (unconfirmed 0, finalized 1, safe 2), as ContractReader reads take them. */
export { ConfidencePb as Confidence };

export interface ValueComparator {
  value: unknown;
  operator: ComparisonOperator;
}

export type Expression =
  | { kind: "comparator"; name: string; valueComparators: ValueComparator[] }
  | { kind: "block"; block: string; operator: ComparisonOperator }
  | { kind: "confidence"; confidence: ConfidencePb }
  | { kind: "timestamp"; timestamp: bigint; operator: ComparisonOperator }
  | { kind: "txHash"; txHash: string }
  | { kind: "and" | "or"; expressions: Expression[] };

/** A filter on one key (event or read name) of a bound contract. */
export interface KeyFilter {
  key: string;
  expressions: Expression[];
}

export type SortBy = { by: "timestamp" | "block" | "sequence"; direction: "asc" | "desc" };

export interface Limit {
  count: bigint;
  /** Cursor and direction go together (Go rejects one without the other). */
  cursor?: string;
  direction?: "preceding" | "following";
}

export interface LimitAndSort {
  sortBy: SortBy[];
  limit: Limit;
}

/** Builders, one per Go constructor. */
export const query = {
  comparator: (name: string, ...valueComparators: ValueComparator[]): Expression => ({ kind: "comparator", name, valueComparators }),
  block: (block: string | bigint | number, operator: ComparisonOperator): Expression => ({ kind: "block", block: String(block), operator }),
  confidence: (confidence: ConfidencePb): Expression => ({ kind: "confidence", confidence }),
  timestamp: (timestamp: bigint | number, operator: ComparisonOperator): Expression => ({ kind: "timestamp", timestamp: BigInt(timestamp), operator }),
  txHash: (txHash: string): Expression => ({ kind: "txHash", txHash }),
  and: (...expressions: Expression[]): Expression => ({ kind: "and", expressions }),
  or: (...expressions: Expression[]): Expression => ({ kind: "or", expressions }),
  keyFilter: (key: string, ...expressions: Expression[]): KeyFilter => ({ key, expressions }),
  /** `query.NewLimitAndSort(query.CountLimit(count), sortBy...)` */
  countLimit: (count: bigint | number, ...sortBy: SortBy[]): LimitAndSort => ({ sortBy, limit: { count: BigInt(count) } }),
  /** `query.NewLimitAndSort(query.CursorLimit(cursor, direction, count))` */
  cursorLimit: (cursor: string, direction: "preceding" | "following", count: bigint | number): LimitAndSort => ({
    sortBy: [],
    limit: { count: BigInt(count), cursor, direction },
  }),
} as const;

const OPERATORS: Record<ComparisonOperator, ComparisonOperatorPb> = {
  eq: ComparisonOperatorPb.Eq,
  neq: ComparisonOperatorPb.Neq,
  gt: ComparisonOperatorPb.Gt,
  lt: ComparisonOperatorPb.Lt,
  gte: ComparisonOperatorPb.Gte,
  lte: ComparisonOperatorPb.Lte,
};
const OPERATOR_NAMES = Object.fromEntries(Object.entries(OPERATORS).map(([k, v]) => [v, k])) as Record<number, ComparisonOperator>;

/** Go's ConvertConfidenceToProto refuses a level it does not know. */
export function confidenceToProto(c: ConfidencePb): ConfidencePb {
  return confidenceFromProto(c, `invalid confidence level ${c}`);
}

/** Go's ConfidenceFromProto. */
export function confidenceFromProto(c: number, error = `invalid pb confidence level: ${c}`): ConfidencePb {
  if (c !== ConfidencePb.Unconfirmed && c !== ConfidencePb.Finalized && c !== ConfidencePb.Safe) throw new RangeError(error);
  return c;
}

function operatorToProto(op: ComparisonOperator): ComparisonOperatorPb {
  const pb = OPERATORS[op];
  if (pb === undefined) throw new RangeError(`unknown comparison operator ${String(op)}`);
  return pb;
}

/** Unknown numbers pass through as Go's do (it converts the integer without a check). */
function operatorFromProto(op: number): ComparisonOperator {
  return OPERATOR_NAMES[op] ?? (String(op) as ComparisonOperator);
}

/** Thrown where Go answers InvalidArgument; the server adapter maps it to that status. */
export class QueryInvalidArgument extends Error {
  override name = "QueryInvalidArgument";
}

export function expressionToProto(e: Expression, encode: (value: unknown) => VersionedBytes): ExpressionPb {
  const primitive = (p: PrimitivePb["primitive"]) => create(ExpressionSchema, { evaluator: { case: "primitive", value: { primitive: p } } });
  switch (e.kind) {
    case "and":
    case "or":
      return create(ExpressionSchema, {
        evaluator: {
          case: "booleanExpression",
          value: { booleanOperator: e.kind === "and" ? BooleanOperator.AND : BooleanOperator.OR, expression: e.expressions.map((x) => expressionToProto(x, encode)) },
        },
      });
    case "comparator":
      return primitive({
        case: "comparator",
        value: {
          $typeName: "loop.chain.common.Comparator",
          name: e.name,
          valueComparators: e.valueComparators.map((vc) => ({
            $typeName: "loop.chain.common.ValueComparator",
            value: encode(vc.value),
            operator: operatorToProto(vc.operator),
          })),
        },
      });
    case "block":
      return primitive({ case: "block", value: { $typeName: "loop.chain.common.Block", blockNumber: e.block, operator: operatorToProto(e.operator) } });
    case "confidence":
      return primitive({ case: "confidence", value: confidenceToProto(e.confidence) });
    case "timestamp":
      return primitive({ case: "timestamp", value: { $typeName: "loop.chain.common.Timestamp", timestamp: e.timestamp, operator: operatorToProto(e.operator) } });
    case "txHash":
      return primitive({ case: "txHash", value: { $typeName: "loop.chain.common.TxHash", txHash: e.txHash } });
    default:
      throw new QueryInvalidArgument(`Unknown primitive type: ${(e as { kind: unknown }).kind}`);
  }
}

/** `decode(comparatorName, bytes)` turns a comparator's value back into data. */
export function expressionFromProto(e: ExpressionPb, decode: (comparatorName: string, vb: VersionedBytes | undefined) => unknown): Expression {
  const ev = e.evaluator;
  switch (ev.case) {
    case "booleanExpression": {
      const expressions = ev.value.expression.map((x) => expressionFromProto(x, decode));
      return ev.value.booleanOperator === BooleanOperator.AND ? { kind: "and", expressions } : { kind: "or", expressions };
    }
    case "primitive": {
      const p = ev.value.primitive;
      switch (p.case) {
        case "comparator":
          return {
            kind: "comparator",
            name: p.value.name,
            valueComparators: p.value.valueComparators.map((vc) => ({ value: decode(p.value.name, vc.value), operator: operatorFromProto(vc.operator) })),
          };
        case "confidence":
          return { kind: "confidence", confidence: confidenceFromProto(p.value) };
        case "block":
          return { kind: "block", block: p.value.blockNumber, operator: operatorFromProto(p.value.operator) };
        case "txHash":
          return { kind: "txHash", txHash: p.value.txHash };
        case "timestamp":
          return { kind: "timestamp", timestamp: p.value.timestamp, operator: operatorFromProto(p.value.operator) };
        default:
          throw new QueryInvalidArgument("unknown primitive type: <nil>");
      }
    }
    default:
      throw new QueryInvalidArgument("unknown expression type: <nil>");
  }
}

const SORT_TYPES = { timestamp: SortType.SortTimestamp, block: SortType.SortBlock, sequence: SortType.SortSequence } as const;
const SORT_NAMES: Record<number, SortBy["by"]> = { [SortType.SortTimestamp]: "timestamp", [SortType.SortBlock]: "block", [SortType.SortSequence]: "sequence" };
/**
 * Go casts its own query.CursorDirection (CursorPrevious = 1, CursorFollowing = 2) straight
 * into the proto enum (Preceding = 0, Following = 1), so those are the numbers on the wire.
 */
const CURSOR_PREVIOUS = 1 as CursorDirectionPb;
const CURSOR_FOLLOWING = 2 as CursorDirectionPb;
const CURSOR_BOTH = "Limit cursor and cursor direction must both be defined or undefined";

export function limitAndSortToProto(ls: LimitAndSort | undefined): LimitAndSortPb {
  const l = ls ?? { sortBy: [], limit: { count: 0n } };
  const hasCursor = l.limit.cursor !== undefined && l.limit.cursor !== "";
  const hasDirection = l.limit.direction !== undefined;
  if (hasCursor !== hasDirection) throw new QueryInvalidArgument(CURSOR_BOTH);
  return create(LimitAndSortSchema, {
    sortBy: l.sortBy.map((s) => {
      const sortType = SORT_TYPES[s.by];
      if (sortType === undefined) throw new QueryInvalidArgument(`Unknown sort by type: ${String(s.by)}`);
      return { sortType, direction: s.direction === "desc" ? SortDirectionPb.Desc : SortDirectionPb.Asc };
    }),
    limit: {
      count: l.limit.count,
      ...(hasCursor
        ? { cursor: l.limit.cursor, direction: l.limit.direction === "following" ? CURSOR_FOLLOWING : CURSOR_PREVIOUS }
        : {}),
    },
  });
}

/** Go's ConvertLimitAndSortFromProto: a cursor limit drops the sort, as Go's does. */
export function limitAndSortFromProto(pb: LimitAndSortPb | undefined): LimitAndSort {
  if (!pb) return { sortBy: [], limit: { count: 0n } };
  const sortBy = pb.sortBy.map((s): SortBy => {
    const by = SORT_NAMES[s.sortType];
    if (!by) throw new QueryInvalidArgument("Unknown sort by type: *chaincommonpb.SortBy");
    return { by, direction: s.direction === SortDirectionPb.Desc ? "desc" : "asc" };
  });
  const limit = pb.limit;
  const cursorDefined = limit?.cursor !== undefined;
  const directionDefined = limit?.direction !== undefined;
  if (cursorDefined && directionDefined) {
    return { sortBy: [], limit: { count: limit!.count, cursor: limit!.cursor, direction: limit!.direction === CURSOR_FOLLOWING ? "following" : "preceding" } };
  }
  if (cursorDefined !== directionDefined) throw new QueryInvalidArgument(CURSOR_BOTH);
  return { sortBy, limit: { count: limit?.count ?? 0n } };
}
