#!/usr/bin/env node
/**
 * The package's command line, `go-plugin-ts <command>`. Each command lives in
 * its own module and is loaded only when asked for.
 */
const USAGE = `usage: go-plugin-ts <command> [arguments]

commands:
  build <entry.ts> -o <file>   bundle a plugin into one self-contained executable (Node SEA, linux)
  check --cookie KEY=VALUE [--versions 1,2] [--automtls] [--json] -- <plugin command…>
                               launch any go-plugin plugin as a host would and check it
`;

const commands: Record<string, () => Promise<{ main(argv: string[]): Promise<number> }>> = {
  build: () => import("./build-command.js"),
  check: () => import("./check.js"),
};

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`go-plugin-ts: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  return (await load()).main(rest);
}

process.exitCode = await run(process.argv.slice(2));
