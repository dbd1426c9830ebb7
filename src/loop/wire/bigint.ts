/** `loop.BigInt`: a sign flag and the big-endian magnitude (zero is empty bytes). */
export interface BigIntWire {
  negative: boolean;
  value: Uint8Array;
}

export function toBigIntWire(v: bigint): BigIntWire {
  const negative = v < 0n;
  let mag = negative ? -v : v;
  const bytes: number[] = [];
  while (mag > 0n) {
    bytes.unshift(Number(mag & 0xffn));
    mag >>= 8n;
  }
  return { negative, value: Uint8Array.from(bytes) };
}

/** A missing message (Go's nil *big.Int) is `undefined`. */
export function fromBigIntWire(m: BigIntWire | undefined): bigint | undefined {
  if (!m) return undefined;
  let v = 0n;
  for (const b of m.value) v = (v << 8n) | BigInt(b);
  return m.negative ? -v : v;
}
