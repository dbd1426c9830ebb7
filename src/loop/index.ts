/**
 * Chainlink's LOOP layer (chainlink-common v0.11.1) on the go-plugin core:
 * hosts for relayer and median plugins, a client and a server adapter per LOOP
 * service, the environment contract and the wire conversions.
 */

// Hosts: launch a LOOP plugin and use it.
export { RelayerService, type RelayerServiceConfig, type SupervisedProvider } from "./host/relayer-service.js";
export { MedianService, MEDIAN_PROVIDER_SERVICES, type MedianServiceConfig, type MedianFactory } from "./host/median-service.js";
export { PluginService, PLUGIN_UNAVAILABLE, type PluginServiceConfig, type SupervisionOptions } from "./host/plugin-service.js";
export { Generation } from "./host/generation.js";
export { loopClient, type LoopEvent, type LoopLaunchConfig, type LoopConnection, type LoopCommand } from "./host/launch.js";
export { LazyConnection, type Closer } from "./host/lazy-connection.js";
export { ConfigProviderConnection, ContractReaderConnection, ContractWriterConnection } from "./host/served-connections.js";

// Plugins: the runtime a LOOP plugin's main runs (Go's loop.NewStartedServer + plugin.Serve).
export { serveLoop, type LoopServer, type ServeLoopConfig } from "./plugin/serve.js";
export type { BuildInfo } from "./tracing/setup.js";
export { LoopLogger } from "./plugin/logger.js";

// The handshake and environment shared by hosts and plugins.
export { LOOP_HANDSHAKES } from "./handshake.js";
export { envConfigToCmdEnv, parseEnvConfig, EnvConfigError, type EnvConfig } from "./env-config.js";
export { loopLogger } from "./logger.js";
export { serveMetrics } from "./metrics.js";
export { GrpcServerMetrics, GrpcClientMetrics, GRPC_PROM_BUCKETS } from "./grpc-metrics.js";

// One client and one server adapter per LOOP service.
export { LoopServiceClient, loopServiceServer, type LoopService } from "./services/service.js";
export { PluginRelayerClient, pluginRelayerServer, RelayerClient, relayerServer, relayArgs, pluginArgs, ccipProviderArgs } from "./services/relayer.js";
export type { RelayArgs, PluginArgs, CCIPProviderArgs, CCIPProviderRequest, ChainStatus, ChainInfo, NodeStatus, RelayerApi, RelayerImpl, ConfigProviderImpl } from "./services/relayer.js";
export { PluginMedianClient, pluginMedianServer, type MedianFactoryArgs, type MedianPluginImpl } from "./services/median.js";
export { ProviderConnection } from "./services/provider-connection.js";
export { KeystoreClient, keystoreServer, type Keystore } from "./services/keystore.js";
export {
  CapabilitiesRegistryClient,
  capabilitiesRegistryServer,
  InMemoryCapabilitiesRegistry,
  ExecuteAPIType,
  type CapabilitiesRegistry,
  type CapabilityNode,
  type CapabilityKind,
  type DON,
  type DONWithNodes,
  type LocalCapability,
  type RemoteCapability,
} from "./services/capabilities-registry.js";
export { DataSourceClient, dataSourceServer, type DataSource } from "./services/datasource.js";
export { ErrorLogClient, errorLogServer, type ErrorLog } from "./services/errorlog.js";
export {
  OffchainConfigDigesterClient,
  offchainConfigDigesterServer,
  ContractConfigTrackerClient,
  contractConfigTrackerServer,
  ContractTransmitterClient,
  contractTransmitterServer,
  type OffchainConfigDigester,
  type ContractConfigTracker,
  type ContractTransmitter,
} from "./services/provider.js";
export {
  ReportCodecClient,
  reportCodecServer,
  MedianContractClient,
  medianContractServer,
  OnchainConfigCodecClient,
  onchainConfigCodecServer,
  parsedAttributedObservation,
  latestTransmissionDetails,
  latestRoundRequested,
  onchainConfig,
  type ParsedAttributedObservation,
  type ReportCodec,
  type MedianTimestamp,
  type LatestTransmissionDetails,
  type LatestRoundRequested,
  type MedianContract,
  type OnchainConfig,
  type OnchainConfigCodec,
} from "./services/median-provider.js";
export {
  Confidence,
  ContractReaderClient,
  contractReaderServer,
  CodecClient,
  codecServer,
  getLatestValueRequest,
  getLatestValueReply,
  getEncodingRequest,
  getDecodingRequest,
  readIdentifier,
  type Head,
  type ContractReader,
  type Codec,
  type BoundContract,
  type Sequence,
  type BatchRead,
  type BatchReadResult,
  type ContractBatch,
  type ContractBatchResult,
  type ContractKeyFilter,
  type ReadOptions,
} from "./services/contract-reader.js";
export {
  ContractWriterClient,
  contractWriterServer,
  TransactionStatus,
  type ContractWriter,
  type SubmitTransactionRequest,
  type EstimateFeeRequest,
  type EstimateFee,
  type ChainFeeComponents,
  type TxMeta,
} from "./services/contract-writer.js";
export {
  ReportingPluginClient,
  reportingPluginServer,
  ReportingPluginFactoryClient,
  reportingPluginFactoryServer,
  type ReportingPlugin,
  type ReportingPluginFactory,
} from "./services/reporting.js";

// Wire conversions.
export {
  reportTimestamp,
  contractConfig,
  reportContext,
  attributedOnchainSignature,
  attributedObservation,
  reportingPluginConfig,
  reportingPluginInfo,
  type ReportTimestamp,
  type ContractConfig,
  type ReportContext,
  type AttributedOnchainSignature,
  type AttributedObservation,
  type ReportingPluginConfig,
  type ReportingPluginInfo,
} from "./wire/ocr2.js";
export { toBigIntWire, fromBigIntWire, type BigIntWire } from "./wire/bigint.js";
export { configDigest } from "./wire/digest.js";
export { uint8, uint16 } from "./wire/ranges.js";
export { Duration } from "./wire/duration.js";
export { formatGoDuration, parseGoDuration } from "./wire/go-duration.js";
export { jobIdFromUuid, uuidFromJobId } from "./wire/job-id.js";
export { encodeCbor } from "./wire/cbor.js";
export {
  Encoding,
  encodeVersionedBytes,
  decodeVersionedBytes,
  decodeVersionedMap,
  isSupportedEncoding,
  InvalidTypeError,
  UnsupportedEncodingError,
  type SupportedEncoding,
} from "./wire/versioned-bytes.js";
export { encodeJson, decodeJson } from "./wire/json.js";
export { toValue, fromValue, encodeValues, decodeValues, int64, uint64, float64, bigInt, decimal, Decimal, TypedValue } from "./wire/values.js";
export {
  query,
  expressionToProto,
  expressionFromProto,
  limitAndSortToProto,
  limitAndSortFromProto,
  type Expression,
  type KeyFilter,
  type LimitAndSort,
  type SortBy,
  type Limit,
  type ValueComparator,
  type ComparisonOperator,
} from "./wire/query.js";

// The transparent proxy now lives in the RPC layer; re-exported for LOOP users.
export { registerProxy } from "../rpc/proxy.js";
