#!/usr/bin/env node
// Fails when `buf generate` would change any committed generated code (see scripts/generate.mjs).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate, TARGETS } from "./generate.mjs";

const out = mkdtempSync(join(tmpdir(), "gen-check-"));
try {
  generate(out);
  for (const [, , dir] of TARGETS) {
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
