/**
 * Entry point for plugin programs; the same API as the root entry, which also
 * keeps stdout clean (writes go to stderr) until the handshake line is out when
 * the process was launched by a go-plugin host. Import it before modules that
 * print while they load.
 */
export * from "./index.js";
