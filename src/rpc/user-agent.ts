/**
 * The `user-agent` the h2 engine's client sends, shaped like grpc-go's
 * (`grpc-go/1.75.0`) and grpc-js's (`grpc-node-js/1.12.6`): this library's name
 * and version. The version is package.json's (user-agent.spec.ts keeps them equal).
 */
export const LIBRARY_VERSION = "0.1.0";
export const USER_AGENT = `go-plugin-ts/${LIBRARY_VERSION}`;
