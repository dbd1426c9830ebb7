/**
 * Keeps fd 1 clean until the handshake line is written: a go-plugin host takes
 * the first stdout line as the handshake, so anything a module prints earlier
 * (console.log at import time, a banner) would break the launch. Until
 * `release()`, process.stdout writes are sent to stderr instead, where the host
 * logs them. Raw writes to fd 1 cannot be caught.
 */
let original: typeof process.stdout.write | undefined;

export function guardStdout(): void {
  if (original) return;
  original = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
}

export function releaseStdout(): void {
  if (!original) return;
  process.stdout.write = original;
  original = undefined;
}

/** True when this process was started by a go-plugin host (it always sets these). */
export function launchedByHost(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PLUGIN_PROTOCOL_VERSIONS !== undefined && env.PLUGIN_MIN_PORT !== undefined;
}
