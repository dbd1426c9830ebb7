import type { Channel } from "../../rpc/client.js";
import { Keystore as KeystoreService } from "../../gen/loop/internal/pb/keystore_pb.js";
import { createClient, type ClientOf } from "../../rpc/client.js";
import { service, type ServiceRegistration } from "../../rpc/server.js";

/** `loop.Keystore`: what a relayer may ask of the node's keys. */
export interface Keystore {
  accounts(): Promise<string[]>;
  sign(account: string, data: Uint8Array): Promise<Uint8Array>;
  decrypt(account: string, data: Uint8Array): Promise<Uint8Array>;
}

export function keystoreServer(impl: Keystore): ServiceRegistration {
  return service(KeystoreService, {
    accounts: async () => ({ accounts: await impl.accounts() }),
    sign: async (r) => ({ signedData: await impl.sign(r.account, r.data) }),
    decrypt: async (r) => ({ decryptedData: await impl.decrypt(r.account, r.data) }),
  });
}

export class KeystoreClient implements Keystore {
  private readonly rpc: ClientOf<typeof KeystoreService>;
  constructor(channel: Channel) {
    this.rpc = createClient(KeystoreService, channel);
  }
  async accounts() {
    return (await this.rpc.accounts({})).accounts;
  }
  async sign(account: string, data: Uint8Array) {
    return (await this.rpc.sign({ account, data })).signedData;
  }
  async decrypt(account: string, data: Uint8Array) {
    return (await this.rpc.decrypt({ account, data })).decryptedData;
  }
}
