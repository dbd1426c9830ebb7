import { TransactionStatus } from "../../gen/loop/chains/evm/evm_pb.js";
import { ContractWriter as ContractWriterService, type TransactionMeta } from "../../gen/loop/internal/pb/contract_writer_pb.js";
import { createClient, type CallOptions, type Channel, type ClientOf, type ServiceRegistration, service } from "../../rpc/index.js";
import { fromBigIntWire, toBigIntWire } from "../wire/bigint.js";
import { uint32 } from "../wire/ranges.js";
import { decodeVersionedMap, encodeVersionedBytes, Encoding, type SupportedEncoding } from "../wire/versioned-bytes.js";
import { withGoStatus } from "./go-errors.js";

export { TransactionStatus };

/**
 * `loop.ContractWriter` (chainlink-common v0.11.1): submit a contract call as
 * a transaction, follow its status, read fees. Arguments are plain data sent
 * as VersionedBytes (CBOR by default); the server side decodes them into a map
 * as Go's adapter does, so arguments that are not a map are refused with Go's
 * "invalid type" text. Amounts are bigints (Go's *big.Int; `undefined` is nil).
 */

type Awaitable<T> = T | Promise<T>;

export interface TxMeta {
  workflowExecutionId?: string;
  gasLimit?: bigint;
}

export interface SubmitTransactionRequest {
  contractName: string;
  method: string;
  args: unknown;
  /** The idempotency key the status is asked by. */
  transactionId: string;
  toAddress: string;
  meta?: TxMeta;
  value?: bigint;
}

export interface EstimateFeeRequest {
  contractName: string;
  method: string;
  args: unknown;
  toAddress: string;
  meta?: TxMeta;
  value?: bigint;
}

export interface ChainFeeComponents {
  executionFee?: bigint;
  dataAvailabilityFee?: bigint;
}

export interface EstimateFee {
  fee?: bigint;
  decimals: number;
}

/** chainlink-common's types.ContractWriter. */
export interface ContractWriter {
  submitTransaction(req: SubmitTransactionRequest): Awaitable<void>;
  getTransactionStatus(transactionId: string): Awaitable<TransactionStatus>;
  getFeeComponents(): Awaitable<ChainFeeComponents>;
  getEstimateFee(req: EstimateFeeRequest): Awaitable<EstimateFee>;
}

/** Go's TxMetaToProto: nil stays absent, an unset field stays unset. */
function metaToPb(m: TxMeta | undefined) {
  if (!m) return undefined;
  return { workflowExecutionId: m.workflowExecutionId ?? "", gasLimit: m.gasLimit === undefined ? undefined : toBigIntWire(m.gasLimit) };
}

/** Go's TxMetaFromProto: an empty workflow id reads as unset. */
function metaFromPb(m: TransactionMeta | undefined): TxMeta | undefined {
  if (!m) return undefined;
  const out: TxMeta = {};
  if (m.workflowExecutionId !== "") out.workflowExecutionId = m.workflowExecutionId;
  if (m.gasLimit) out.gasLimit = fromBigIntWire(m.gasLimit);
  return out;
}

const bigOrNil = (v: bigint | undefined) => (v === undefined ? undefined : toBigIntWire(v));

export class ContractWriterClient implements ContractWriter {
  readonly rpc: ClientOf<typeof ContractWriterService>;
  private readonly encoding: SupportedEncoding;

  constructor(
    readonly channel: Channel,
    opts: { encoding?: SupportedEncoding } = {},
  ) {
    this.rpc = createClient(ContractWriterService, channel);
    this.encoding = opts.encoding ?? Encoding.CBOR;
  }

  async submitTransaction(req: SubmitTransactionRequest, opts?: CallOptions): Promise<void> {
    await this.rpc.submitTransaction(
      {
        contractName: req.contractName,
        method: req.method,
        params: encodeVersionedBytes(req.args, this.encoding),
        transactionId: req.transactionId,
        toAddress: req.toAddress,
        meta: metaToPb(req.meta),
        value: bigOrNil(req.value),
      },
      opts,
    );
  }

  async getTransactionStatus(transactionId: string, opts?: CallOptions): Promise<TransactionStatus> {
    return (await this.rpc.getTransactionStatus({ transactionId }, opts)).transactionStatus;
  }

  async getFeeComponents(opts?: CallOptions): Promise<ChainFeeComponents> {
    const r = await this.rpc.getFeeComponents({}, opts);
    return { executionFee: fromBigIntWire(r.executionFee), dataAvailabilityFee: fromBigIntWire(r.dataAvailabilityFee) };
  }

  async getEstimateFee(req: EstimateFeeRequest, opts?: CallOptions): Promise<EstimateFee> {
    const r = await this.rpc.getEstimateFee(
      {
        contractName: req.contractName,
        method: req.method,
        params: encodeVersionedBytes(req.args, this.encoding),
        toAddress: req.toAddress,
        meta: metaToPb(req.meta),
        value: bigOrNil(req.value),
      },
      opts,
    );
    return { fee: fromBigIntWire(r.fee), decimals: r.decimals };
  }
}

export function contractWriterServer(impl: ContractWriter): ServiceRegistration {
  return service(ContractWriterService, {
    submitTransaction: (r) =>
      withGoStatus(async () => {
        const args = decodeVersionedMap(r.params) ?? {};
        await impl.submitTransaction({
          contractName: r.contractName,
          method: r.method,
          args,
          transactionId: r.transactionId,
          toAddress: r.toAddress,
          meta: metaFromPb(r.meta),
          value: fromBigIntWire(r.value),
        });
        return {};
      }),
    getTransactionStatus: async (r) => ({ transactionStatus: await impl.getTransactionStatus(r.transactionId) }),
    getFeeComponents: async () => {
      const f = await impl.getFeeComponents();
      return { executionFee: bigOrNil(f.executionFee), dataAvailabilityFee: bigOrNil(f.dataAvailabilityFee) };
    },
    getEstimateFee: (r) =>
      withGoStatus(async () => {
        const args = decodeVersionedMap(r.params) ?? {};
        const f = await impl.getEstimateFee({ contractName: r.contractName, method: r.method, args, toAddress: r.toAddress, meta: metaFromPb(r.meta), value: fromBigIntWire(r.value) });
        return { fee: bigOrNil(f.fee), decimals: uint32(f.decimals, "decimals") };
      }),
  });
}
