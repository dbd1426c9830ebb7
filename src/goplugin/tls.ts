import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from "node:tls";
import { X509Certificate } from "node:crypto";
import type { TlsPem } from "../rpc/options.js";
import { ENV } from "./env.js";
import type { HclogLogger } from "./hclog.js";
import { generateCert } from "./mtls-cert.js";

/** TLS for a plugin's servers (main and brokered) and for its brokered dials. */
export interface ServerTls {
  /** Certificates and trust, for servers and dials of either engine. */
  pem: TlsPem;
  /** The dialing side's TLS as node:tls options, for connections over mux streams. */
  connectionOptions(): ConnectionOptions;
  /** DER of the plugin certificate to announce in the handshake (AutoMTLS only). */
  certDer?: Buffer;
}

/** PEM material for explicit TLS (go-plugin's TLSConfig / TLSProvider). */
export interface PemTlsOptions {
  /** Certificates trusted for the peer; both directions require and verify a peer certificate. */
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
  /** Name checked in the server's certificate when dialing; default `localhost`. */
  serverName?: string;
}

/** Mutual TLS from caller-supplied certificates, usable on either side. */
export function tlsFromPem(o: PemTlsOptions): ServerTls {
  const ca = Buffer.from(o.ca);
  const cert = Buffer.from(o.cert);
  const key = Buffer.from(o.key);
  const name = o.serverName ?? "localhost";
  return {
    pem: { ca, cert, key, serverName: name },
    connectionOptions: () => ({
      ca,
      cert,
      key,
      servername: name,
      checkServerIdentity: (_host: string, peer: PeerCertificate) => checkServerIdentity(name, peer),
    }),
  };
}

/**
 * AutoMTLS on the plugin side: when the host sent its certificate in
 * PLUGIN_CLIENT_CERT, make our own, trust only the host's, and announce ours.
 * An unparsable host certificate is logged and leaves nothing trusted, as in Go.
 */
export async function serverTlsFromEnv(env: NodeJS.ProcessEnv, log: HclogLogger): Promise<ServerTls | undefined> {
  const hostPem = env[ENV.clientCert];
  if (!hostPem) return undefined;
  log.debug("configuring server automatic mTLS");
  const own = await generateCert();
  let trusted = hostPem;
  try {
    new X509Certificate(hostPem);
  } catch (err) {
    log.error("client cert provided but failed to parse", { cert: hostPem, error: err as Error });
    // Trust only our own certificate: no host can present it, so every handshake fails.
    trusted = own.certPem;
  }
  return { ...tlsFromPem({ ca: trusted, cert: own.certPem, key: own.keyPem }), certDer: own.certDer };
}
