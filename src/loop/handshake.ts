import type { HandshakeConfig } from "../goplugin/handshake.js";

/**
 * LOOP handshakes: app protocol version 0 (never set in Go) and one cookie per
 * plugin kind. Cookies travel only in the child's environment.
 */
const loop = (magicCookieKey: string, magicCookieValue: string): HandshakeConfig => ({ protocolVersion: 0, magicCookieKey, magicCookieValue });

export const LOOP_HANDSHAKES = {
  relayer: loop("CL_PLUGIN_RELAYER_MAGIC_COOKIE", "dae753d4542311b33cf041b930db0150647e806175c2818a0c88a9ab745e45aa"),
  median: loop("CL_PLUGIN_MEDIAN_MAGIC_COOKIE", "b12a697e19748cd695dd1690c09745ee7cc03717179958e8eadd5a7ca4646728"),
  mercury: loop("CL_PLUGIN_MERCURY_MAGIC_COOKIE", "c3478720-a7a6-4d39-b506-0dd432c9be9a"),
  keystore: loop("CL_PLUGIN_KEYSTORE_MAGIC_COOKIE", "fe81b132-0d3d-4c16-9f13-c2f7bfd3c361"),
  ccipCommit: loop("CL_PLUGIN_CCIP_COMMIT_MAGIC_COOKIE", "5a2d1527-6c0f-4c7e-8c96-00aa4bececd2"),
  ccipExecution: loop("CL_PLUGIN_CCIP_EXEC_MAGIC_COOKIE", "5a2d1527-6c0f-4c7e-8c96-00aa4bececd2"),
  generic: loop("CL_PLUGIN_GENERIC_MAGIC_COOKIE", "2ad981747cd86c4ab3e23170970020fd"),
  standardCapabilities: loop("CL_PLUGIN_STANDARD_CAPABILITIES_MAGIC_COOKIE", "f4df86d3-3552-4231-8206-be0d245b6c67"),
} as const;
