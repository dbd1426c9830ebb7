import { X509Certificate } from "node:crypto";
import type { NetAddr } from "../rpc/net-addr.js";
import { PluginError } from "./errors.js";
import { quoteForError } from "./quote.js";

/** go-plugin's core protocol version; it has been 1 since go-plugin 1.0. */
export const CORE_PROTOCOL_VERSION = 1;

/**
 * Shared by host and plugin: the app protocol version and the magic cookie the
 * host passes in the environment so that a plugin refuses to run by hand.
 */
export interface HandshakeConfig {
  protocolVersion: number;
  magicCookieKey: string;
  magicCookieValue: string;
}

export type Protocol = "grpc" | "netrpc";

/** What the plugin announced on its first stdout line. */
export interface Handshake {
  appVersion: number;
  addr: NetAddr;
  protocol: Protocol;
  /** DER of the plugin's certificate (AutoMTLS), when it sent one. */
  serverCert?: Buffer;
  /** Field 7, when present. */
  muxSupported?: boolean;
}

/** The plugin's handshake line, without the trailing newline. */
export function formatHandshakeLine(h: {
  appVersion: number;
  addr: NetAddr;
  serverCertDer?: Buffer;
  muxField?: boolean;
}): string {
  const cert = h.serverCertDer ? h.serverCertDer.toString("base64").replace(/=+$/, "") : "";
  const fields = [CORE_PROTOCOL_VERSION, h.appVersion, h.addr.network, h.addr.address, "grpc", cert];
  if (h.muxField) fields.push("true");
  return fields.join("|");
}

export interface ParseOptions {
  /** Versions the host offered (keys of its versioned plugin sets). */
  versions: readonly number[];
  allowedProtocols: readonly Protocol[];
  /** The host asked for broker multiplexing. */
  mux?: boolean;
}

const GO_INT = /^[+-]?\d+$/;

/**
 * Validates the first stdout line in go-plugin's order, with errors that carry
 * go-plugin's wording and name the offending line.
 */
export function parseHandshakeLine(raw: string, opts: ParseOptions): Handshake {
  const line = raw.trim();
  try {
    return parseFields(line, opts);
  } catch (err) {
    if (!(err instanceof PluginError) || err.code === "UNRECOGNIZED_HANDSHAKE") throw err;
    throw new PluginError(err.code, `${err.message}\nhandshake line: "${quoteForError(line, 160)}"`);
  }
}

function parseFields(line: string, opts: ParseOptions): Handshake {
  const parts = line.split("|");
  if (parts.length < 4) {
    throw new PluginError(
      "UNRECOGNIZED_HANDSHAKE",
      `Unrecognized remote plugin message: ${quoteForError(line)}\n` +
        "This usually means the plugin printed something to stdout before its handshake line, " +
        "was not built for this platform, or failed to negotiate the go-plugin handshake",
    );
  }
  const [core, app, network, address] = parts as [string, string, string, string];
  if (!GO_INT.test(core)) {
    throw new PluginError("CORE_VERSION", `error parsing core protocol version: invalid syntax ${q(core)}`);
  }
  if (Number(core) !== CORE_PROTOCOL_VERSION) {
    throw new PluginError(
      "CORE_VERSION",
      `incompatible core API version with plugin. Plugin version: ${core}, Core version: ${CORE_PROTOCOL_VERSION}\n\n` +
        "To fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author",
    );
  }
  if (!GO_INT.test(app)) {
    throw new PluginError("APP_VERSION", `Error parsing protocol version ${q(app)}: invalid syntax`);
  }
  const appVersion = Number(app);
  if (!opts.versions.includes(appVersion)) {
    throw new PluginError(
      "APP_VERSION",
      `incompatible API version with plugin. Plugin version: ${appVersion}, Client versions: [${opts.versions.join(" ")}]`,
    );
  }
  if (network !== "unix" && network !== "tcp") {
    throw new PluginError("UNKNOWN_ADDRESS_TYPE", `unknown address type: ${quoteForError(address, 120)} (network ${q(network)})`);
  }
  if (network === "unix" ? address === "" : !/^[^:]*:\d+$/.test(address)) {
    throw new PluginError("UNKNOWN_ADDRESS_TYPE", `invalid ${network} address ${q(address)}`);
  }
  const protocol = (parts[4] ?? "netrpc") as Protocol;
  if (!opts.allowedProtocols.includes(protocol)) {
    throw new PluginError(
      "UNSUPPORTED_PROTOCOL",
      `unsupported plugin protocol ${q(protocol)}. Supported: [${opts.allowedProtocols.join(" ")}]`,
    );
  }
  const h: Handshake = { appVersion, addr: { network, address }, protocol };
  const certField = parts[5];
  if (certField !== undefined && certField.length > 50) {
    h.serverCert = decodeServerCert(certField);
  }
  if (parts.length >= 7) {
    h.muxSupported = parseGoBool(parts[6]!);
  }
  if (opts.mux && protocol === "grpc") {
    if (parts.length <= 6 || h.muxSupported === false) {
      throw new PluginError(
        "MUX_UNSUPPORTED",
        "client requested gRPC broker multiplexing but plugin does not support the feature",
      );
    }
    if (h.muxSupported === undefined) {
      throw new PluginError("MUX_UNSUPPORTED", `error parsing ${q(parts[6])} as a boolean for gRPC broker multiplexing support`);
    }
  }
  return h;
}

/** A field of the line as shown in an error: quoted, escaped, short. */
function q(field: string | undefined): string {
  return `"${quoteForError(field ?? "", 80)}"`;
}

function decodeServerCert(field: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(field) || field.length % 4 === 1) {
    const bad = field.search(/[^A-Za-z0-9+/]/);
    throw new PluginError("SERVER_CERT", `error parsing server cert: illegal base64 data at input byte ${bad < 0 ? field.length - 1 : bad}`);
  }
  const der = Buffer.from(field, "base64");
  try {
    new X509Certificate(der);
  } catch (err) {
    throw new PluginError("SERVER_CERT", `error parsing server cert: ${(err as Error).message}`);
  }
  return der;
}

export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}
