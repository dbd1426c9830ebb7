import type * as grpc from "@grpc/grpc-js";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
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
  type BatchGetLatestValuesReply,
  type BatchGetLatestValuesRequestSchema,
  type BoundContractSchema,
  type GetLatestValueReply,
  type GetLatestValueRequest,
  type QueryKeyReply,
  type QueryKeyRequestSchema,
  type QueryKeysReply,
  type QueryKeysRequestSchema,
  type BatchGetLatestValuesReplySchema,
  type QueryKeyReplySchema,
  type QueryKeysReplySchema,
} from "../../gen/loop/internal/pb/contract_reader_pb.js";
import { Code, createClient, RpcError, service, type CallOptions, type ClientOf, type ServiceRegistration } from "../../rpc/index.js";
import { decodeVersionedBytes, encodeVersionedBytes, Encoding } from "../wire/cbor.js";
import { int32 } from "../wire/ranges.js";

export { Confidence };

/**
 * `loop.ContractReader` and `codec.Codec` of a relayer's providers. Values
 * cross the wire as `codec.VersionedBytes` of version 2 (deterministic CBOR,
 * what chainlink-common's Go clients send by default); the reads that carry
 * them take and return decoded values. The remaining ContractReader methods
 * carry the generated messages unchanged.
 */

type Awaitable<T> = T | Promise<T>;

function confidenceOf(c: number): Confidence {
  if (c !== Confidence.Unconfirmed && c !== Confidence.Finalized && c !== Confidence.Safe) {
    throw new RangeError(`invalid pb confidence level: ${c}`);
  }
  return c;
}

/** Decoded VersionedBytes; a missing message fails with Go's text. */
function decodeRequired(vb: VersionedBytes | undefined): unknown {
  if (!vb) throw new Error("cannot decode nil versioned bytes");
  return decodeVersionedBytes(vb);
}

function versioned(value: unknown, version: number = Encoding.CBOR): VersionedBytes {
  return create(VersionedBytesSchema, encodeVersionedBytes(value, version));
}

/** The request a Go client builds for GetLatestValue(readIdentifier, confidence, params). */
export function getLatestValueRequest(readIdentifier: string, confidence: Confidence, params: unknown): GetLatestValueRequest {
  return create(GetLatestValueRequestSchema, {
    readIdentifier,
    confidence: confidenceOf(confidence),
    params: versioned(params),
    asValueType: false,
  });
}

export function getLatestValueReply(retVal: unknown): GetLatestValueReply {
  return create(GetLatestValueReplySchema, { retVal: versioned(retVal) });
}

/** The chain head a read was served at. */
export interface Head {
  height: string;
  hash: Uint8Array;
  /** Unix seconds */
  timestamp: bigint;
}

type Init<S extends Parameters<typeof create>[0]> = MessageInitShape<S>;

/**
 * chainlink-common's ContractReader. `params` and the result are plain
 * values (CBOR-encodable: objects, arrays, strings, numbers, bigints, booleans,
 * null, Uint8Array).
 */
export interface ContractReader {
  getLatestValue(readIdentifier: string, confidence: Confidence, params: unknown): Awaitable<unknown>;
  getLatestValueWithHeadData(
    readIdentifier: string,
    confidence: Confidence,
    params: unknown,
  ): Awaitable<{ value: unknown; head?: Head }>;
  batchGetLatestValues(req: Init<typeof BatchGetLatestValuesRequestSchema>): Awaitable<Init<typeof BatchGetLatestValuesReplySchema>>;
  queryKey(req: Init<typeof QueryKeyRequestSchema>): Awaitable<Init<typeof QueryKeyReplySchema>>;
  queryKeys(req: Init<typeof QueryKeysRequestSchema>): Awaitable<Init<typeof QueryKeysReplySchema>>;
  bind(bindings: Init<typeof BoundContractSchema>[]): Awaitable<void>;
  unbind(bindings: Init<typeof BoundContractSchema>[]): Awaitable<void>;
}

export class ContractReaderClient implements ContractReader {
  /** The generated client, for anything the typed methods do not cover. */
  readonly rpc: ClientOf<typeof ContractReaderService>;

  constructor(channel: grpc.Client) {
    this.rpc = createClient(ContractReaderService, channel);
  }

  async getLatestValue(readIdentifier: string, confidence: Confidence, params: unknown, opts?: CallOptions): Promise<unknown> {
    const reply = await this.rpc.getLatestValue(getLatestValueRequest(readIdentifier, confidence, params), opts);
    return decodeRequired(reply.retVal);
  }

  async getLatestValueWithHeadData(
    readIdentifier: string,
    confidence: Confidence,
    params: unknown,
    opts?: CallOptions,
  ): Promise<{ value: unknown; head?: Head }> {
    const reply = await this.rpc.getLatestValueWithHeadData(getLatestValueRequest(readIdentifier, confidence, params), opts);
    const value = decodeRequired(reply.retVal);
    const h = reply.headData;
    return h ? { value, head: { height: h.height, hash: h.hash, timestamp: h.timestamp } } : { value };
  }

  batchGetLatestValues(req: Init<typeof BatchGetLatestValuesRequestSchema>, opts?: CallOptions): Promise<BatchGetLatestValuesReply> {
    return this.rpc.batchGetLatestValues(req, opts);
  }

  queryKey(req: Init<typeof QueryKeyRequestSchema>, opts?: CallOptions): Promise<QueryKeyReply> {
    return this.rpc.queryKey(req, opts);
  }

  queryKeys(req: Init<typeof QueryKeysRequestSchema>, opts?: CallOptions): Promise<QueryKeysReply> {
    return this.rpc.queryKeys(req, opts);
  }

  async bind(bindings: Init<typeof BoundContractSchema>[], opts?: CallOptions): Promise<void> {
    await this.rpc.bind({ bindings }, opts);
  }

  async unbind(bindings: Init<typeof BoundContractSchema>[], opts?: CallOptions): Promise<void> {
    await this.rpc.unbind({ bindings }, opts);
  }
}

/**
 * Serves `impl`; methods it lacks answer UNIMPLEMENTED, which is how a Go
 * median-provider client finds out that no ContractReader is offered. The
 * result of a read is encoded with the version its params came in, as in Go;
 * `as_value_type` (values.Value encoding) is not supported.
 */
export function contractReaderServer(impl: Partial<ContractReader>): ServiceRegistration {
  const read = (req: GetLatestValueRequest) => {
    const params = decodeRequired(req.params);
    const confidence = confidenceOf(req.confidence);
    if (req.asValueType) {
      throw new RpcError(Code.UNIMPLEMENTED, "as_value_type: values.Value encoding (version 3) is not supported");
    }
    return { params, confidence, version: req.params!.version };
  };
  return service(ContractReaderService, {
    getLatestValue: impl.getLatestValue
      ? async (req) => {
          const { params, confidence, version } = read(req);
          const value = await impl.getLatestValue!(req.readIdentifier, confidence, params);
          return { retVal: versioned(value, version) };
        }
      : undefined,
    getLatestValueWithHeadData: impl.getLatestValueWithHeadData
      ? async (req) => {
          const { params, confidence, version } = read(req);
          const { value, head } = await impl.getLatestValueWithHeadData!(req.readIdentifier, confidence, params);
          return { retVal: versioned(value, version), headData: head };
        }
      : undefined,
    batchGetLatestValues: impl.batchGetLatestValues && ((req) => impl.batchGetLatestValues!(req)),
    queryKey: impl.queryKey && ((req) => impl.queryKey!(req)),
    queryKeys: impl.queryKeys && ((req) => impl.queryKeys!(req)),
    bind: impl.bind
      ? async (req) => {
          await impl.bind!(req.bindings);
          return {};
        }
      : undefined,
    unbind: impl.unbind
      ? async (req) => {
          await impl.unbind!(req.bindings);
          return {};
        }
      : undefined,
  });
}

// ---------------------------------------------------------------------------
// codec.Codec

/** The request a Go codec client builds for Encode(item, itemType). */
export function getEncodingRequest(item: unknown, itemType: string): GetEncodingRequest {
  return create(GetEncodingRequestSchema, { params: versioned(item), itemType });
}

/** The request a Go codec client builds for Decode(raw, into, itemType). */
export function getDecodingRequest(encoded: Uint8Array, itemType: string): GetDecodingRequest {
  return create(GetDecodingRequestSchema, { encoded, itemType, wireEncodingVersion: Encoding.CBOR });
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

  constructor(channel: grpc.Client) {
    this.rpc = createClient(CodecService, channel);
  }

  async encode(item: unknown, itemType: string, opts?: CallOptions): Promise<Uint8Array> {
    return (await this.rpc.getEncoding(getEncodingRequest(item, itemType), opts)).retVal;
  }

  async decode(encoded: Uint8Array, itemType: string, opts?: CallOptions): Promise<unknown> {
    return decodeRequired((await this.rpc.getDecoding(getDecodingRequest(encoded, itemType), opts)).retVal);
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
    async getEncoding(req) {
      const item = decodeRequired(req.params);
      return { retVal: await impl.encode(item, req.itemType) };
    },
    async getDecoding(req) {
      // Checked first so that an unsupported version fails before the work.
      if (req.wireEncodingVersion !== Encoding.CBOR) {
        throw new RangeError(`VersionedBytes: only CBOR (version 2) is supported, got ${req.wireEncodingVersion}`);
      }
      const value = await impl.decode(req.encoded, req.itemType);
      return { retVal: versioned(value, req.wireEncodingVersion) };
    },
    async getMaxSize(req) {
      const size = req.forEncoding
        ? await impl.getMaxEncodingSize(req.n, req.itemType)
        : await impl.getMaxDecodingSize(req.n, req.itemType);
      return { sizeInBytes: int32(size, "sizeInBytes") };
    },
  });
}
