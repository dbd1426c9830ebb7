import { create } from "@bufbuild/protobuf";
import { Confidence } from "../../gen/loop/chain-common/query_pb.js";
import {
  Codec as CodecService,
  GetDecodingRequestSchema,
  GetEncodingRequestSchema,
  VersionedBytesSchema,
  type GetDecodingRequest,
  type GetEncodingRequest,
  type VersionedBytes,
} from "../../gen/loop/internal/codec/codec_pb.js";
import {
  ContractReader as ContractReaderService,
  GetLatestValueReplySchema,
  GetLatestValueRequestSchema,
  type BoundContract as BoundContractPb,
  type GetLatestValueReply,
  type GetLatestValueRequest,
  type Head as HeadPb,
} from "../../gen/loop/internal/pb/contract_reader_pb.js";
import { createClient, service, type CallOptions, type Channel, type ClientOf, type ServiceRegistration } from "../../rpc/index.js";
import { confidenceFromProto, expressionFromProto, expressionToProto, limitAndSortFromProto, limitAndSortToProto, type KeyFilter, type LimitAndSort } from "../wire/query.js";
import { int32 } from "../wire/ranges.js";
import {
  decodeVersionedBytes,
  decodeVersionedMap,
  encodeVersionedBytes,
  Encoding,
  goValueText,
  isSupportedEncoding,
  UnsupportedEncodingError,
  type SupportedEncoding,
} from "../wire/versioned-bytes.js";

const isGoMap = (v: unknown) => v instanceof Map || (typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date));
import { withGoStatus } from "./go-errors.js";

export { Confidence };

/**
 * `loop.ContractReader` and `codec.Codec` (chainlink-common v0.11.1) in TS
 * terms: values are plain data (objects, arrays, strings, numbers, bigints,
 * booleans, null, Uint8Array, Date) that cross the wire as
 * `codec.VersionedBytes` — CBOR by default as Go's clients send; JSON v1 or v2
 * or values.v1 with the client's `encoding` option (Go's WithClientEncoding);
 * values.v1 with `asValues` on a read, which is what a Go caller asking for a
 * `values.Value` does. The server adapter decodes
 * params and query values as Go's does without a typed reader (into a map) and
 * answers in the encoding Go's would.
 */

type Awaitable<T> = T | Promise<T>;

export interface BoundContract {
  address: string;
  name: string;
}

/** Go's BoundContract.ReadIdentifier: `address-name-readName`. */
export const readIdentifier = (c: BoundContract, readName: string) => `${c.address}-${c.name}-${readName}`;

/** The chain head a read was served at. */
export interface Head {
  height: string;
  hash: Uint8Array;
  /** Unix seconds */
  timestamp: bigint;
}

export interface Sequence {
  cursor: string;
  txHash: Uint8Array;
  head: Head;
  data: unknown;
}

export interface BatchRead {
  readName: string;
  params: unknown;
}
export interface ContractBatch {
  contract: BoundContract;
  reads: BatchRead[];
}
/** One read's outcome: a value, or the error text of that read alone. */
export interface BatchReadResult {
  readName: string;
  value: unknown;
  error?: string;
}
export interface ContractBatchResult {
  contract: BoundContract;
  results: BatchReadResult[];
}

export interface ContractKeyFilter {
  contract: BoundContract;
  filter: KeyFilter;
  /** Ask for this filter's sequences in the values.v1 encoding. */
  asValues?: boolean;
}

export interface ReadOptions extends CallOptions {
  /** Ask the server to answer in values.v1 (Go's `retVal *values.Value`). */
  asValues?: boolean;
}

/** chainlink-common's types.ContractReader. */
export interface ContractReader {
  getLatestValue(readIdentifier: string, confidence: Confidence, params: unknown): Awaitable<unknown>;
  getLatestValueWithHeadData(readIdentifier: string, confidence: Confidence, params: unknown): Awaitable<{ value: unknown; head?: Head }>;
  batchGetLatestValues(request: ContractBatch[]): Awaitable<ContractBatchResult[]>;
  queryKey(contract: BoundContract, filter: KeyFilter, limitAndSort: LimitAndSort): Awaitable<Sequence[]>;
  queryKeys(filters: ContractKeyFilter[], limitAndSort: LimitAndSort): Awaitable<Array<{ key: string; sequence: Sequence }>>;
  bind(bindings: BoundContract[]): Awaitable<void>;
  unbind(bindings: BoundContract[]): Awaitable<void>;
}

function versioned(value: unknown, version: number = Encoding.CBOR): VersionedBytes {
  return create(VersionedBytesSchema, encodeVersionedBytes(value, version));
}

const boundToPb = (c: BoundContract): BoundContractPb => ({ $typeName: "loop.BoundContract", address: c.address, name: c.name });
const boundFromPb = (c: BoundContractPb | undefined): BoundContract => ({ address: c?.address ?? "", name: c?.name ?? "" });
const headFromPb = (h: HeadPb | undefined): Head => ({ height: h?.height ?? "", hash: h?.hash ?? new Uint8Array(), timestamp: h?.timestamp ?? 0n });
const headToPb = (h: Head) => ({ height: h.height, hash: h.hash, timestamp: h.timestamp });
const sameContract = (a: BoundContract, b: BoundContract) => a.address === b.address && a.name === b.name;
/** Go prints a BoundContract with %s as `{address name}`. */
const showContract = (c: BoundContract) => `{${c.address} ${c.name}}`;

/** The request a Go client builds for GetLatestValue(readIdentifier, confidence, params). */
export function getLatestValueRequest(readIdentifier: string, confidence: Confidence, params: unknown, encoding: SupportedEncoding = Encoding.CBOR, asValues = false): GetLatestValueRequest {
  return create(GetLatestValueRequestSchema, { readIdentifier, confidence: confidenceChecked(confidence), params: versioned(params, encoding), asValueType: asValues });
}

export function getLatestValueReply(retVal: unknown): GetLatestValueReply {
  return create(GetLatestValueReplySchema, { retVal: versioned(retVal) });
}

function confidenceChecked(c: Confidence): Confidence {
  confidenceFromProto(c);
  return c;
}

export class ContractReaderClient implements ContractReader {
  /** The generated client, for anything the typed methods do not cover. */
  readonly rpc: ClientOf<typeof ContractReaderService>;
  private readonly encoding: SupportedEncoding;

  /** `encoding`: how params and query values are sent (Go's WithClientEncoding). */
  constructor(
    readonly channel: Channel,
    opts: { encoding?: SupportedEncoding } = {},
  ) {
    this.rpc = createClient(ContractReaderService, channel);
    this.encoding = opts.encoding ?? Encoding.CBOR;
  }

  async getLatestValue(readIdentifier: string, confidence: Confidence, params: unknown, opts?: ReadOptions): Promise<unknown> {
    const reply = await this.rpc.getLatestValue(getLatestValueRequest(readIdentifier, confidence, params, this.encoding, opts?.asValues), opts);
    return decodeVersionedBytes(reply.retVal);
  }

  async getLatestValueWithHeadData(readIdentifier: string, confidence: Confidence, params: unknown, opts?: ReadOptions): Promise<{ value: unknown; head?: Head }> {
    const reply = await this.rpc.getLatestValueWithHeadData(getLatestValueRequest(readIdentifier, confidence, params, this.encoding, opts?.asValues), opts);
    const value = decodeVersionedBytes(reply.retVal);
    return reply.headData ? { value, head: headFromPb(reply.headData) } : { value };
  }

  /** Results come back per contract in the order the server sends them; Go's checks on their shape apply. */
  async batchGetLatestValues(request: ContractBatch[], opts?: CallOptions): Promise<ContractBatchResult[]> {
    const reply = await this.rpc.batchGetLatestValues(
      { requests: request.map((b) => ({ contract: boundToPb(b.contract), reads: b.reads.map((r) => ({ readName: r.readName, params: versioned(r.params, this.encoding) })) })) },
      opts,
    );
    return reply.results.map((cr) => {
      const contract = boundFromPb(cr.contract);
      const asked = request.find((b) => sameContract(b.contract, contract));
      if (!asked) throw new Error(`received unexpected contract name ${showContract(contract)} from grpc BatchGetLatestValues reply`);
      if (asked.reads.length !== cr.results.length) {
        throw new Error(`request and results length for contract ${showContract(contract)} are mismatched ${asked.reads.length} vs ${cr.results.length}`);
      }
      return {
        contract,
        results: cr.results.map((r) => ({ readName: r.readName, value: decodeVersionedBytes(r.returnVal), ...(r.error ? { error: r.error } : {}) })),
      };
    });
  }

  async queryKey(contract: BoundContract, filter: KeyFilter, limitAndSort: LimitAndSort, opts?: ReadOptions): Promise<Sequence[]> {
    const reply = await this.rpc.queryKey(
      { contract: boundToPb(contract), filter: this.filterToPb(filter), limitAndSort: limitAndSortToProto(limitAndSort), asValueType: opts?.asValues ?? false },
      opts,
    );
    return reply.sequences.map((s) => ({ cursor: s.sequenceCursor, txHash: s.txHash, head: headFromPb(s.head), data: decodeVersionedBytes(s.data) }));
  }

  async queryKeys(filters: ContractKeyFilter[], limitAndSort: LimitAndSort, opts?: CallOptions): Promise<Array<{ key: string; sequence: Sequence }>> {
    const reply = await this.rpc.queryKeys(
      {
        filters: filters.map((f) => ({ contract: boundToPb(f.contract), filter: this.filterToPb(f.filter), asValueType: f.asValues ?? false })),
        limitAndSort: limitAndSortToProto(limitAndSort),
      },
      opts,
    );
    return reply.sequences.map((s) => ({ key: s.key, sequence: { cursor: s.sequenceCursor, txHash: s.txHash, head: headFromPb(s.head), data: decodeVersionedBytes(s.data) } }));
  }

  async bind(bindings: BoundContract[], opts?: CallOptions): Promise<void> {
    await this.rpc.bind({ bindings: bindings.map(boundToPb) }, opts);
  }

  async unbind(bindings: BoundContract[], opts?: CallOptions): Promise<void> {
    await this.rpc.unbind({ bindings: bindings.map(boundToPb) }, opts);
  }

  private filterToPb(f: KeyFilter) {
    return { key: f.key, expression: f.expressions.map((e) => expressionToProto(e, (v) => versioned(v, this.encoding))) };
  }
}

/**
 * Serves `impl`; methods it lacks answer UNIMPLEMENTED, which is how a Go
 * median-provider client finds out that no ContractReader is offered.
 * Conversions follow Go's server adapter: params and comparator values must
 * decode into a map (else INVALID_ARGUMENT with Go's text); a read's reply
 * uses its params' encoding, or values.v1 when asked; batch and query replies
 * use CBOR unless values.v1 is asked for.
 */
export function contractReaderServer(impl: Partial<ContractReader>): ServiceRegistration {
  const read = (req: GetLatestValueRequest) => {
    const params = decodeVersionedMap(req.params);
    confidenceFromProto(req.confidence);
    const confidence = req.confidence;
    const version = req.asValueType ? Encoding.ValuesProto : req.params!.version;
    return { params, confidence, version };
  };
  const filterFromPb = (f: { key: string; expression: Parameters<typeof expressionFromProto>[0][] } | undefined): KeyFilter => ({
    key: f?.key ?? "",
    expressions: (f?.expression ?? []).map((e) => expressionFromProto(e, (_name, vb) => decodeVersionedMap(vb))),
  });
  const sequenceToPb = (s: Sequence, version: number) => ({ sequenceCursor: s.cursor, txHash: s.txHash, head: headToPb(s.head), data: versioned(s.data, version) });
  return service(ContractReaderService, {
    getLatestValue: impl.getLatestValue
      ? (req) =>
          withGoStatus(async () => {
            const { params, confidence, version } = read(req);
            const value = await impl.getLatestValue!(req.readIdentifier, confidence, params);
            return { retVal: versioned(value, version) };
          })
      : undefined,
    getLatestValueWithHeadData: impl.getLatestValueWithHeadData
      ? (req) =>
          withGoStatus(async () => {
            const { params, confidence, version } = read(req);
            const { value, head } = await impl.getLatestValueWithHeadData!(req.readIdentifier, confidence, params);
            return { retVal: versioned(value, version), headData: head && headToPb(head) };
          })
      : undefined,
    batchGetLatestValues: impl.batchGetLatestValues
      ? (req) =>
          withGoStatus(async () => {
            const request = req.requests.map((b) => ({
              contract: boundFromPb(b.contract),
              reads: b.reads.map((r) => ({ readName: r.readName, params: decodeVersionedMap(r.params) })),
            }));
            const results = await impl.batchGetLatestValues!(request);
            return {
              results: results.map((cr) => ({
                contract: boundToPb(cr.contract),
                results: cr.results.map((r) => ({ readName: r.readName, returnVal: versioned(r.value), error: r.error ?? "" })),
              })),
            };
          })
      : undefined,
    queryKey: impl.queryKey
      ? (req) =>
          withGoStatus(async () => {
            const filter = filterFromPb(req.filter);
            const ls = limitAndSortFromProto(req.limitAndSort);
            const seqs = await impl.queryKey!(boundFromPb(req.contract), filter, ls);
            const version = req.asValueType ? Encoding.ValuesProto : Encoding.CBOR;
            return { sequences: seqs.map((s) => sequenceToPb(s, version)) };
          })
      : undefined,
    queryKeys: impl.queryKeys
      ? (req) =>
          withGoStatus(async () => {
            const filters = req.filters.map((f) => ({ contract: boundFromPb(f.contract), filter: filterFromPb(f.filter), asValues: f.asValueType }));
            const ls = limitAndSortFromProto(req.limitAndSort);
            const seqs = await impl.queryKeys!(filters, ls);
            // As in Go, the encoding is chosen per key; a key no filter asked for is an error.
            const versions = new Map(req.filters.map((f) => [f.filter?.key ?? "", f.asValueType ? Encoding.ValuesProto : Encoding.CBOR]));
            return {
              sequences: seqs.map(({ key, sequence }) => {
                const version = versions.get(key);
                if (version === undefined) throw new Error(`missing encoding version for key ${key}`);
                return { key, ...sequenceToPb(sequence, version) };
              }),
            };
          })
      : undefined,
    bind: impl.bind
      ? async (req) => {
          await impl.bind!(req.bindings.map(boundFromPb));
          return {};
        }
      : undefined,
    unbind: impl.unbind
      ? async (req) => {
          await impl.unbind!(req.bindings.map(boundFromPb));
          return {};
        }
      : undefined,
  });
}

// ---------------------------------------------------------------------------
// codec.Codec

/** The request a Go codec client builds for Encode(item, itemType). */
export function getEncodingRequest(item: unknown, itemType: string, encoding: SupportedEncoding = Encoding.CBOR): GetEncodingRequest {
  return create(GetEncodingRequestSchema, { params: versioned(item, encoding), itemType });
}

/** The request a Go codec client builds for Decode(raw, into, itemType). */
export function getDecodingRequest(encoded: Uint8Array, itemType: string, encoding: SupportedEncoding = Encoding.CBOR): GetDecodingRequest {
  return create(GetDecodingRequestSchema, { encoded, itemType, wireEncodingVersion: encoding });
}

/** chainlink-common's types.Codec: chain encodings of named item types. */
export interface Codec {
  encode(item: unknown, itemType: string): Awaitable<Uint8Array>;
  decode(encoded: Uint8Array, itemType: string): Awaitable<unknown>;
  getMaxEncodingSize(n: number, itemType: string): Awaitable<number>;
  getMaxDecodingSize(n: number, itemType: string): Awaitable<number>;
}

export class CodecClient implements Codec {
  /** The generated client. */
  readonly rpc: ClientOf<typeof CodecService>;
  private readonly encoding: SupportedEncoding;

  constructor(channel: Channel, opts: { encoding?: SupportedEncoding } = {}) {
    this.rpc = createClient(CodecService, channel);
    this.encoding = opts.encoding ?? Encoding.CBOR;
  }

  async encode(item: unknown, itemType: string, opts?: CallOptions): Promise<Uint8Array> {
    return (await this.rpc.getEncoding(getEncodingRequest(item, itemType, this.encoding), opts)).retVal;
  }

  async decode(encoded: Uint8Array, itemType: string, opts?: CallOptions): Promise<unknown> {
    return decodeVersionedBytes((await this.rpc.getDecoding(getDecodingRequest(encoded, itemType, this.encoding), opts)).retVal);
  }

  async getMaxEncodingSize(n: number, itemType: string, opts?: CallOptions): Promise<number> {
    return (await this.rpc.getMaxSize({ n: int32(n, "n"), itemType, forEncoding: true }, opts)).sizeInBytes;
  }

  async getMaxDecodingSize(n: number, itemType: string, opts?: CallOptions): Promise<number> {
    return (await this.rpc.getMaxSize({ n: int32(n, "n"), itemType, forEncoding: false }, opts)).sizeInBytes;
  }
}

export function codecServer(impl: Codec): ServiceRegistration {
  return service(CodecService, {
    getEncoding: (req) =>
      withGoStatus(async () => {
        const item = decodeVersionedBytes(req.params);
        return { retVal: await impl.encode(item, req.itemType) };
      }),
    getDecoding: (req) =>
      withGoStatus(async () => {
        const value = await impl.decode(req.encoded, req.itemType);
        // As Go's: the decode runs first; an unknown answer encoding then names the data Go decoded into (a *map: "&map[…]").
        if (!isSupportedEncoding(req.wireEncodingVersion)) {
          throw new UnsupportedEncodingError(req.wireEncodingVersion, (isGoMap(value) ? "&" : "") + goValueText(value));
        }
        return { retVal: versioned(value, req.wireEncodingVersion) };
      }),
    async getMaxSize(req) {
      const size = req.forEncoding ? await impl.getMaxEncodingSize(req.n, req.itemType) : await impl.getMaxDecodingSize(req.n, req.itemType);
      return { sizeInBytes: int32(size, "sizeInBytes") };
    },
  });
}
