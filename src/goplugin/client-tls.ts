import type * as grpc from "@grpc/grpc-js";

/** The host's TLS for the main connection and its brokered connections. */
export interface ClientTls {
  channelCredentials(): grpc.ChannelCredentials;
  serverCredentials(): grpc.ServerCredentials;
  /** AutoMTLS: the host certificate PEM passed in PLUGIN_CLIENT_CERT. */
  certPem?: string;
  /** AutoMTLS: the same TLS, now trusting the plugin's certificate from the handshake. */
  withServerCert?(der: Buffer): ClientTls;
}

export async function clientTlsFor(_mode: "auto"): Promise<ClientTls> {
  throw new Error("AutoMTLS is not supported yet");
}
