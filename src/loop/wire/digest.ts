/** A config digest: exactly 32 bytes. */
export function configDigest(bytes: Uint8Array, field = "configDigest"): Uint8Array {
  if (bytes.length !== 32) throw new RangeError(`${field}: a config digest is 32 bytes, got ${bytes.length}`);
  return bytes;
}

/** A received config digest as chainlink-common's Go adapters check it, with Go's message. */
export function goConfigDigest(b: Uint8Array): Uint8Array {
  if (b.length !== 32) throw new RangeError(`expected ConfigDigest length 32 but got ${b.length}`);
  return b;
}
