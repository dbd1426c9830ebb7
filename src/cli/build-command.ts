/** Argument handling of `go-plugin-ts build`; the work is in build.ts. */
import { parseArgs } from "node:util";
import { build, BuildError, EMBED_NODE_MAJOR, SUPPORTED_PLATFORMS } from "./build.js";

export const BUILD_USAGE = `usage: go-plugin-ts build <entry.ts> -o <file> [options]

Bundles a plugin (its entry calls serve() or serveLoop()) and everything it imports
into one executable that a go-plugin or LOOP host can launch with an empty environment.

options:
  -o, --output <file>    where to write the executable (required)
      --node <path>      the node binary to embed (default: pinned Node ${EMBED_NODE_MAJOR} from the npm registry)
      --platform <os-arch>  target platform; supported: ${SUPPORTED_PLATFORMS.join(", ")} (default: this machine)
      --engine <h2|grpc-js>  gRPC engine compiled in (default h2: grpc-js is left out, which halves
                         the start; grpc-js keeps both engines and the run-time choice)
      --no-snapshot      no V8 startup snapshot: code cache only (the snapshot needs --engine h2;
                         when it cannot be made the build falls back to code cache and says why)
      --no-code-cache    leave V8's code cache out of the blob when there is no snapshot
  -q, --quiet            no progress lines
`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: "string", short: "o" },
        node: { type: "string" },
        platform: { type: "string" },
        "no-code-cache": { type: "boolean" },
        "no-snapshot": { type: "boolean" },
        engine: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    process.stderr.write(`go-plugin-ts build: ${(err as Error).message}\n\n${BUILD_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(BUILD_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !values.output) {
    process.stderr.write(`go-plugin-ts build: ${positionals.length !== 1 ? "exactly one entry file is needed" : "-o <file> is needed"}\n\n${BUILD_USAGE}`);
    return 2;
  }
  if (values.engine !== undefined && values.engine !== "h2" && values.engine !== "grpc-js") {
    process.stderr.write(`go-plugin-ts build: --engine ${values.engine}: expected h2 or grpc-js\n\n${BUILD_USAGE}`);
    return 2;
  }
  try {
    await build({
      entry: positionals[0]!,
      output: values.output,
      node: values.node,
      platform: values.platform,
      codeCache: !values["no-code-cache"],
      snapshot: !values["no-snapshot"],
      engine: values.engine,
      log: values.quiet ? undefined : (line) => process.stderr.write(`go-plugin-ts build: ${line}\n`),
    });
    return 0;
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    process.stderr.write(`go-plugin-ts build: ${err.message}\n`);
    return 1;
  }
}
