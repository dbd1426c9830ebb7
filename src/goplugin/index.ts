export { Client, type ClientConfig, type ClientProtocol, type Sink } from "./client.js";
export type { ClientTls } from "./client-tls.js";
export { verifyChecksum, type SecureConfig } from "./secure-config.js";
export { formatReattachConfig, parseReattachConfig, type ReattachConfig } from "./reattach.js";
export { cleanupClients } from "./managed.js";
export {
  spawnRunner,
  type AttachedPlugin,
  type PluginCommand,
  type PluginExit,
  type Runner,
  type SpawnRunnerOptions,
  type StartedPlugin,
} from "./runner.js";
export { serve, MISCONFIGURED_COOKIE, NOT_A_PLUGIN, type ServeConfig } from "./serve.js";
export { tlsFromPem, type PemTlsOptions, type ServerTls } from "./tls.js";
export { autoMTLS } from "./client-tls.js";
export { generateCert, type GeneratedCert } from "./mtls-cert.js";
export {
  CORE_PROTOCOL_VERSION,
  formatHandshakeLine,
  parseHandshakeLine,
  type Handshake,
  type HandshakeConfig,
  type Protocol,
} from "./handshake.js";
export { ENV } from "./env.js";
export { negotiateVersion } from "./negotiate.js";
export { PluginError, type PluginErrorCode } from "./errors.js";
export { HclogLogger, hclogLine, hclogTimestamp } from "./hclog.js";
export { StderrLogParser } from "./stderr-log.js";
export { textLogger, discardLogger, namedLogger, type Logger, type LogEntry, type LogLevel } from "./logger.js";
export { GRPC_SERVICE_NAME, HealthServer } from "./health.js";
export { guardStdout, releaseStdout, launchedByHost } from "./stdout-guard.js";
export type { GRPCPlugin, PluginSet } from "./plugin.js";
