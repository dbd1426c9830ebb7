/** Outgoing header fields as gRPC writes them (node:http2's outgoing shape). */
export type OutgoingFields = Record<string, string | number | readonly string[] | undefined>;

/** Outgoing fields as name, value, …: pseudo-headers first, arrays as repeated fields. */
export function flatten(fields: OutgoingFields): string[] {
  const out: string[] = [];
  for (const k in fields) if (k[0] === ":") out.push(k, String(fields[k]));
  for (const k in fields) {
    if (k[0] === ":") continue;
    const v = fields[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(k, x);
    else out.push(k, String(v));
  }
  return out;
}

/** Received fields by name (the first value of a repeated one), from name, value, … */
export function byName(raw: readonly string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) if (!(raw[i]! in h)) h[raw[i]!] = raw[i + 1]!;
  return h;
}
