import { derToPem, generateCert } from "./mtls-cert.js";
import { tlsFromPem } from "./tls.js";

/** The host's TLS for the main connection and its brokered connections. */
export interface ClientTls {
  /** Certificates and trust, for the dial and brokered servers on either engine. */
  pem: import("../rpc/options.js").TlsPem;
  /** Dialing TLS as node:tls options, for connections over mux streams. */
  connectionOptions?(): import("node:tls").ConnectionOptions;
  /** AutoMTLS: the host certificate PEM passed in PLUGIN_CLIENT_CERT. */
  certPem?: string;
  /** AutoMTLS: the same TLS, now trusting the plugin's certificate from the handshake. */
  withServerCert?(der: Buffer): ClientTls;
}

/**
 * AutoMTLS on the host side: a fresh certificate whose PEM goes to the plugin;
 * once the handshake brings the plugin's certificate, it is the only one
 * trusted, for dialing the plugin and for serving it on brokered listeners.
 */
export async function autoMTLS(): Promise<ClientTls> {
  const own = await generateCert();
  const make = (pluginPem?: string): ClientTls => ({
    // Until the plugin's certificate is known, trust only our own: nothing connects.
    ...tlsFromPem({ ca: pluginPem ?? own.certPem, cert: own.certPem, key: own.keyPem }),
    certPem: own.certPem,
    withServerCert: (der) => make(derToPem(der)),
  });
  return make();
}
