/**
 * Entry point for plugin programs. Import it before anything else: when the
 * process was launched by a go-plugin host it keeps stdout clean (writes go to
 * stderr) until the handshake line is out, whatever other modules print while
 * they load.
 */
import { guardStdout, launchedByHost } from "./goplugin/stdout-guard.js";

if (launchedByHost()) guardStdout();

export * from "./index.js";
