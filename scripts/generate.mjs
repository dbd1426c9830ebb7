#!/usr/bin/env node
// Runs `buf generate` for every proto workspace. Only proto/ → src/gen is the library; the
// others generate beside their only user so `npm pack` ships nothing test-only.
//   node scripts/generate.mjs [outRoot]   (outRoot: write under another directory, for the check)
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** [buf input, template, generated dir] per workspace. */
export const TARGETS = [
  [".", "buf.gen.yaml", "src/gen"],
  ["test", "test/buf.gen.yaml", "test/gen"],
  ["examples/kv", "examples/kv/buf.gen.yaml", "examples/kv/gen"],
  ["examples/counter", "examples/counter/buf.gen.yaml", "examples/counter/gen"],
  ["examples/grpc", "examples/grpc/buf.gen.yaml", "examples/grpc/gen"],
];

export function generate(outRoot) {
  const buf = join("node_modules", ".bin", "buf");
  for (const [input, template] of TARGETS) {
    const args = ["generate", input, "--template", template];
    if (outRoot) args.push("-o", outRoot);
    execFileSync(buf, args, { stdio: "inherit" });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  generate(process.argv[2]);
}
