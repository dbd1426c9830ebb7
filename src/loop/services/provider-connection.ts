import type { Channel } from "../../rpc/client.js";
import { Codec } from "../../gen/loop/internal/codec/codec_pb.js";
import { ContractReader } from "../../gen/loop/internal/pb/contract_reader_pb.js";
import { createClient } from "../../rpc/client.js";
import { Code, RpcError } from "../../rpc/status.js";
import { ContractConfigTrackerClient, ContractTransmitterClient, OffchainConfigDigesterClient } from "./provider.js";
import { LoopServiceClient } from "./service.js";

/**
 * A relayer's provider connection as the host holds it: the OCR2 services the
 * host's own libocr calls, `loop.Service`, and the raw channel that a proxy can
 * relay into another plugin.
 */
export class ProviderConnection {
  readonly service: LoopServiceClient;
  readonly offchainConfigDigester: OffchainConfigDigesterClient;
  readonly contractConfigTracker: ContractConfigTrackerClient;
  readonly contractTransmitter: ContractTransmitterClient;
  /** Whether the relayer serves `loop.ContractReader` / `codec.Codec` here (set by `probe()`). */
  hasContractReader?: boolean;
  hasCodec?: boolean;

  constructor(
    readonly id: number,
    readonly channel: Channel,
  ) {
    this.service = new LoopServiceClient(channel);
    this.offchainConfigDigester = new OffchainConfigDigesterClient(channel);
    this.contractConfigTracker = new ContractConfigTrackerClient(channel);
    this.contractTransmitter = new ContractTransmitterClient(channel);
  }

  /**
   * Probes for ContractReader and Codec as Go's provider client does: an empty
   * GetLatestValue and a GetDecoding; UNIMPLEMENTED means the relayer does not
   * serve that service, any other answer means it does.
   */
  async probe(): Promise<{ contractReader: boolean; codec: boolean }> {
    const served = (p: Promise<unknown>) =>
      p.then(
        () => true,
        (e) => RpcError.from(e).code !== Code.UNIMPLEMENTED,
      );
    [this.hasContractReader, this.hasCodec] = await Promise.all([
      served(createClient(ContractReader, this.channel).getLatestValue({ readIdentifier: "" }, { deadline: 5000 })),
      served(createClient(Codec, this.channel).getDecoding({}, { deadline: 5000 })),
    ]);
    return { contractReader: this.hasContractReader, codec: this.hasCodec };
  }

  close(): void {
    this.channel.close();
  }
}
