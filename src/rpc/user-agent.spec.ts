import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LIBRARY_VERSION, USER_AGENT } from "./user-agent.js";

test("the user-agent names this package at package.json's version", () => {
  const pkg = JSON.parse(readFileSync(join(fileURLToPath(import.meta.url), "..", "..", "..", "package.json"), "utf8")) as { name: string; version: string };
  expect(LIBRARY_VERSION).toBe(pkg.version);
  expect(USER_AGENT).toBe(`${pkg.name}/${pkg.version}`);
});
