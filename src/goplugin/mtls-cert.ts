import { createHash, generateKeyPair, randomBytes, sign, type KeyObject } from "node:crypto";

/**
 * go-plugin's AutoMTLS certificate, built here in DER: a self-signed ECDSA
 * P-521 CA certificate for `localhost` (O=HashiCorp), key usages digital
 * signature, key encipherment, key agreement and cert signing, extended key
 * usages client and server auth, valid from 30 s ago for 262980 hours,
 * signed with ECDSA-SHA512. Each side makes one and trusts only the other's.
 */
export interface GeneratedCert {
  certDer: Buffer;
  certPem: string;
  keyPem: string;
}

export async function generateCert(now: number = Date.now()): Promise<GeneratedCert> {
  // node:crypto is read here, not as the module loads: a plugin executable that never uses AutoMTLS
  // does not load it at start (see DEFERRED_BUILTINS in src/cli/bundle.ts).
  const { publicKey, privateKey } = await new Promise<{ publicKey: KeyObject; privateKey: KeyObject }>((resolve, reject) =>
    generateKeyPair("ec", { namedCurve: "P-521" }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey }))),
  );
  const certDer = buildCert(publicKey, privateKey, now);
  return {
    certDer,
    certPem: derToPem(certDer),
    keyPem: privateKey.export({ type: "sec1", format: "pem" }) as string,
  };
}

export function derToPem(der: Buffer): string {
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

// --- minimal DER writer --------------------------------------------------

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const bitString = (b: Buffer, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const printable = (s: string) => tlv(0x13, Buffer.from(s, "ascii"));

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let body = b.subarray(i);
  if (body[0]! & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(0x02, body);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(ms: number): Buffer {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const iso = d.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
  const year = d.getUTCFullYear();
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return year < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), "ascii")) : tlv(0x18, Buffer.from(iso, "ascii"));
}

const extension = (id: string, critical: boolean, value: Buffer) =>
  critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));

function buildCert(publicKey: KeyObject, privateKey: KeyObject, now: number): Buffer {
  const spki = publicKey.export({ type: "spki", format: "der" });
  const ecdsaSha512 = seq(oid("1.2.840.10045.4.3.4"));
  const name = seq(set(seq(oid("2.5.4.10"), printable("HashiCorp"))), set(seq(oid("2.5.4.3"), printable("localhost"))));
  // The subject key id is the SHA-1 of the public key bits, as Go computes it.
  const keyBits = spki.subarray(spki.length - 133);
  const serial = randomBytes(16);
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaSha512,
    name,
    seq(time(now - 30_000), time(now + 262980 * 3600_000)),
    name,
    spki,
    explicit(
      3,
      seq(
        // digitalSignature | keyEncipherment | keyAgreement | keyCertSign
        extension("2.5.29.15", true, bitString(Buffer.from([0xac]), 2)),
        extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.2"), oid("1.3.6.1.5.5.7.3.1"))),
        extension("2.5.29.19", true, seq(bool(true))),
        extension("2.5.29.14", false, octets(createHash("sha1").update(keyBits).digest())),
        extension("2.5.29.17", false, seq(tlv(0x82, Buffer.from("localhost", "ascii")))),
      ),
    ),
  );
  const signature = sign("sha512", tbs, { key: privateKey, dsaEncoding: "der" });
  return seq(tbs, ecdsaSha512, bitString(signature));
}
