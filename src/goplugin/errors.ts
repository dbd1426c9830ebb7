/** Why a go-plugin operation failed; stable for programs, the message is for people. */
export type PluginErrorCode =
  | "CONFIG"
  | "SPAWN_FAILED"
  | "START_TIMEOUT"
  | "EXITED_BEFORE_HANDSHAKE"
  | "UNRECOGNIZED_HANDSHAKE"
  | "CORE_VERSION"
  | "APP_VERSION"
  | "UNKNOWN_ADDRESS_TYPE"
  | "UNSUPPORTED_PROTOCOL"
  | "SERVER_CERT"
  | "MUX_UNSUPPORTED"
  | "NOT_STARTED"
  | "KILLED"
  | "CONNECT_FAILED"
  | "UNKNOWN_PLUGIN"
  | "SECURE_CONFIG"
  | "CHECKSUM_MISMATCH"
  | "PROCESS_NOT_FOUND";

export class PluginError extends Error {
  override readonly name = "PluginError";
  constructor(
    readonly code: PluginErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
