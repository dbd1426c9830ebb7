/** A listener address as go-plugin announces it: network plus address. */
export interface NetAddr {
  network: "unix" | "tcp";
  address: string;
}

/** gRPC's message-size limits are int32s: this is "no limit" on every engine. */
export const MAX_INT32 = 2147483647;
