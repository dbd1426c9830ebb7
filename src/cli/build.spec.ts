import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NOT_A_PLUGIN } from "../goplugin/serve.js";
import { bundle } from "./build.js";

const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");

describe("bundle: the script a plugin executable runs", () => {
  test("a plugin with top-level await becomes one classic script that runs its serve() (here: refusing a launch by hand)", async () => {
    const script = await bundle(join(ROOT, "examples", "kv", "plugin.ts"), process.execPath);
    // No module syntax left: a SEA main script is CommonJS-context code.
    expect(script).not.toMatch(/^\s*(import|export)\s/m);
    expect(script.startsWith('"use strict";')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "gpt-bundle-"));
    try {
      const file = join(dir, "plugin.cjs");
      writeFileSync(file, script);
      // Without the magic cookie serve() says what go-plugin says and exits 1.
      const run = spawnSync(process.execPath, [file], { env: {}, encoding: "utf8", timeout: 30_000 });
      expect(run.status).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(NOT_A_PLUGIN);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

});
