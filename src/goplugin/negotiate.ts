/**
 * The plugin's choice of app protocol version, as go-plugin makes it: the
 * highest version both sides have; failing that, the plugin's lowest (the host
 * then reports the mismatch).
 */
export function negotiateVersion(serverVersions: readonly number[], clientVersions: readonly number[]): number {
  if (serverVersions.length === 0) throw new Error("plugin offers no protocol versions");
  const offered = new Set(clientVersions);
  const sorted = [...serverVersions].sort((a, b) => b - a);
  return sorted.find((v) => offered.has(v)) ?? sorted[sorted.length - 1]!;
}
