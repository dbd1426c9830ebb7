/**
 * Chainlink's LOOP layer (chainlink-common v0.11.1) on the go-plugin core:
 * hosts for relayer and median plugins, a client and a server adapter per LOOP
 * service, the environment contract and the wire conversions.
 */
export { LOOP_HANDSHAKES } from "./handshake.js";
export { loopClient, type LoopEvent, type LoopLaunchConfig, type LoopConnection } from "./host.js";
export { loopLogger } from "./logger.js";
export { RelayerService, type RelayerServiceConfig } from "./relayer-service.js";
export { MedianService, MEDIAN_PROVIDER_SERVICES, type MedianServiceConfig } from "./median-service.js";
export { ProviderConnection } from "./provider-connection.js";
export { LazyConnection, type Closer } from "./lazy-connection.js";
export { registerProxy } from "./proxy.js";
export { envConfigToCmdEnv, parseEnvConfig, EnvConfigError, type EnvConfig } from "./env-config.js";
export { formatGoDuration, parseGoDuration } from "./go-duration.js";
export { serveMetrics } from "./metrics.js";
export * from "./wire.js";
export * from "./ocr2.js";
export { LoopServiceClient, loopServiceServer, type LoopService } from "./service.js";
export { KeystoreClient, keystoreServer, type Keystore } from "./keystore.js";
export { DataSourceClient, dataSourceServer, type DataSource } from "./datasource.js";
export { ErrorLogClient, errorLogServer, type ErrorLog } from "./errorlog.js";
export * from "./provider.js";
export * from "./median-provider.js";
export * from "./contract-reader.js";
export * from "./reporting.js";
export * from "./relayer.js";
export { PluginMedianClient, pluginMedianServer, type MedianFactoryArgs, type MedianPluginImpl } from "./median.js";
