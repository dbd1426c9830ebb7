/** The 16-byte external job id (a UUID's bytes). */
export function jobIdFromUuid(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`externalJobID: ${JSON.stringify(uuid)} is not a UUID`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export function uuidFromJobId(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`externalJobID: a job id is 16 bytes, got ${bytes.length}`);
  const h = Buffer.from(bytes).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
