#!/usr/bin/env node
// Fails when `buf generate` would change the committed generated code
// (src/gen from proto/, examples/counter/gen from examples/counter/proto).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const buf = join("node_modules", ".bin", "buf");
const out = mkdtempSync(join(tmpdir(), "gen-check-"));
try {
  execFileSync(buf, ["generate", "-o", out], { stdio: "inherit" });
  execFileSync(buf, ["generate", "examples/counter", "--template", "examples/counter/buf.gen.yaml", "-o", out], { stdio: "inherit" });
  for (const dir of ["src/gen", "examples/counter/gen"]) {
    try {
      execFileSync("diff", ["-r", dir, join(out, dir)], { stdio: "inherit" });
    } catch {
      console.error(`generate:check: ${dir} differs from what \`buf generate\` produces; run \`npm run generate\` and commit.`);
      process.exit(1);
    }
  }
  console.error("generate:check: generated code matches the protos");
} finally {
  rmSync(out, { recursive: true, force: true });
}
