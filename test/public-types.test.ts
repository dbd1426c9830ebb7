// The published type declarations of the three entry points (".", "./plugin",
// "./loop") name no @grpc/grpc-js type: the declarations are emitted as
// `npm run build` emits them (tsconfig.build.json, into a scratch directory),
// and every .d.ts reachable from an entry by its imports and re-exports is read.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { scratchDir } from "./helpers.js";

const ENTRIES = ["index.d.ts", "plugin.d.ts", "loop/index.d.ts"];

/** Relative module specifiers a .d.ts imports or re-exports (static and `import("…")` types). */
function relativeImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)) out.push(m[1]);
  return out;
}

function reachable(root: string): Map<string, string> {
  const seen = new Map<string, string>();
  const todo = ENTRIES.map((e) => join(root, e));
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const text = readFileSync(file, "utf8");
    seen.set(file, text);
    for (const spec of relativeImports(text)) {
      const target = resolve(dirname(file), spec.replace(/\.js$/, ".d.ts"));
      if (!existsSync(target)) throw new Error(`${file} imports ${spec}, which has no declaration file`);
      todo.push(target);
    }
  }
  return seen;
}

test("no declaration reachable from a public entry point mentions @grpc/grpc-js", () => {
  const dir = scratchDir();
  try {
    execFileSync(join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json", "--emitDeclarationOnly", "--outDir", dir.path], {
      stdio: "pipe",
    });
    const files = reachable(dir.path);
    // The walk must reach the RPC layer's public modules, else it proves nothing.
    for (const m of ["rpc/metadata.d.ts", "rpc/client.d.ts", "rpc/server.d.ts", "goplugin/client.d.ts", "goplugin/serve.d.ts", "broker/broker.d.ts"]) {
      expect([...files.keys()]).toContain(join(dir.path, m));
    }
    // An import of the package, static or as an `import("…")` type (prose naming it is fine).
    const leaks = [...files].filter(([, text]) => /["']@grpc\/grpc-js["']/.test(text)).map(([f]) => f.slice(dir.path.length + 1));
    expect(leaks).toEqual([]);
  } finally {
    dir.remove();
  }
}, 120_000);
