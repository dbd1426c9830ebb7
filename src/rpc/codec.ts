import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";

/** Binary (de)serialisers for one message type, in the shape grpc-js expects. */
export interface MessageCodec<T extends DescMessage> {
  serialize(value: MessageInitShape<T>): Buffer;
  deserialize(bytes: Buffer): MessageShape<T>;
}

const cache = new WeakMap<DescMessage, MessageCodec<DescMessage>>();

export function messageCodec<T extends DescMessage>(schema: T): MessageCodec<T> {
  let codec = cache.get(schema);
  if (!codec) {
    codec = {
      serialize(value) {
        const msg = isMessage(value, schema) ? value : create(schema, value as never);
        const bytes = toBinary(schema, msg);
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
      deserialize(bytes) {
        return fromBinary(schema, bytes);
      },
    };
    cache.set(schema, codec);
  }
  return codec as unknown as MessageCodec<T>;
}
