import type { Channel } from "../../rpc/client.js";
import { ContractReaderClient } from "../services/contract-reader.js";
import { ContractWriterClient } from "../services/contract-writer.js";
import { ContractConfigTrackerClient, OffchainConfigDigesterClient } from "../services/provider.js";
import { LoopServiceClient } from "../services/service.js";

/**
 * What a host holds for a relayer-served ConfigProvider, ContractReader or
 * ContractWriter: the typed client, the connection's `loop.Service`, and
 * `close()`, which (as Go's service clients do) asks the relayer to close the
 * service, then drops the connection whatever the answer.
 */
async function closeServed(service: LoopServiceClient, channel: Channel): Promise<void> {
  try {
    await service.close();
  } finally {
    channel.close();
  }
}

export class ConfigProviderConnection {
  readonly service: LoopServiceClient;
  readonly offchainConfigDigester: OffchainConfigDigesterClient;
  readonly contractConfigTracker: ContractConfigTrackerClient;
  constructor(
    readonly id: number,
    readonly channel: Channel,
  ) {
    this.service = new LoopServiceClient(channel);
    this.offchainConfigDigester = new OffchainConfigDigesterClient(channel);
    this.contractConfigTracker = new ContractConfigTrackerClient(channel);
  }
  close(): Promise<void> {
    return closeServed(this.service, this.channel);
  }
}

export class ContractReaderConnection extends ContractReaderClient {
  readonly service: LoopServiceClient;
  constructor(
    readonly id: number,
    override readonly channel: Channel,
  ) {
    super(channel);
    this.service = new LoopServiceClient(channel);
  }
  close(): Promise<void> {
    return closeServed(this.service, this.channel);
  }
}

export class ContractWriterConnection extends ContractWriterClient {
  readonly service: LoopServiceClient;
  constructor(
    readonly id: number,
    override readonly channel: Channel,
  ) {
    super(channel);
    this.service = new LoopServiceClient(channel);
  }
  close(): Promise<void> {
    return closeServed(this.service, this.channel);
  }
}
