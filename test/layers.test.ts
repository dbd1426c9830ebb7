// The source tree's layering, checked on every run so that it stays as the
// README draws it: each layer imports only the layers before it, the go-plugin
// layers know nothing of Chainlink, and no module imports itself back.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");

/**
 * Layers from the bottom up; a module may import its own layer and those
 * before it. Longest prefix wins, so `gen/loop` sits above the go-plugin
 * layers while `gen/` holds the protos they use.
 */
const LAYERS: Array<[prefix: string, rank: number]> = [
  ["gen/", 0],
  ["gen/loop/", 5],
  ["rpc/", 1],
  ["yamux/", 1],
  ["broker/", 2],
  ["goplugin/", 3],
  ["plugin.ts", 4],
  ["index.ts", 4],
  ["loop/wire/", 5],
  ["loop/", 6],
  ["loop/services/", 6],
  ["loop/host/", 7],
  ["loop/plugin/", 7],
  ["loop/index.ts", 8],
  ["cli/", 9],
];

function rankOf(file: string): number {
  let best: [string, number] | undefined;
  for (const l of LAYERS) if (file.startsWith(l[0]) && (!best || l[0].length > best[0].length)) best = l;
  if (!best) throw new Error(`${file}: in no layer; add it to LAYERS in test/layers.test.ts`);
  return best[1];
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".spec.ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** Relative imports of a module (static, re-exports and dynamic), as src-relative .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm)) {
    out.push(relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts"))));
  }
  return out;
}

const files = sources(SRC).map((f) => relative(SRC, f));
const graph = new Map(files.map((f) => [f, importsOf(join(SRC, f))]));

test("every relative import in src/ names a module that exists", () => {
  const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${f} → ${d}`));
  expect(missing).toEqual([]);
});

test("each layer imports only itself and the layers before it (gen → rpc/yamux → broker → goplugin → loop → cli)", () => {
  const upward = [...graph].flatMap(([f, deps]) =>
    deps.filter((d) => graph.has(d) && rankOf(d) > rankOf(f)).map((d) => `${f} (layer ${rankOf(f)}) → ${d} (layer ${rankOf(d)})`),
  );
  expect(upward).toEqual([]);
});

test("the go-plugin layers import nothing of Chainlink LOOP", () => {
  const goPlugin = (f: string) => /^(rpc|yamux|broker|goplugin)\//.test(f) || f === "plugin.ts" || f === "index.ts";
  const leaks = [...graph].flatMap(([f, deps]) => (goPlugin(f) ? deps.filter((d) => /^(loop|gen\/loop)\//.test(d)).map((d) => `${f} → ${d}`) : []));
  expect(leaks).toEqual([]);
});

test("no import cycles between modules", () => {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === "open") cycles.push([...stack.slice(stack.indexOf(d)), d].join(" → "));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of files) if (!state.has(f)) visit(f);
  expect(cycles).toEqual([]);
});
