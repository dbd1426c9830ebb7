import * as grpc from "@grpc/grpc-js";
import { ENV } from "./env.js";
import type { HclogLogger } from "./hclog.js";

/** TLS material for one side of a plugin connection. */
export interface ServerTls {
  serverCredentials(): grpc.ServerCredentials;
  channelCredentials(): grpc.ChannelCredentials;
  /** DER of the plugin certificate to announce in the handshake (AutoMTLS only). */
  certDer?: Buffer;
}

/** AutoMTLS on the plugin side when the host sent PLUGIN_CLIENT_CERT. */
export async function serverTlsFromEnv(env: NodeJS.ProcessEnv, _log: HclogLogger): Promise<ServerTls | undefined> {
  if (!env[ENV.clientCert]) return undefined;
  throw new Error("AutoMTLS is not supported yet");
}
