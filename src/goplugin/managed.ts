/** Something that owns a plugin process: killable gracefully, or at once on exit. */
export interface ManagedProcess {
  kill(): Promise<void>;
  killNow(): void;
}

const managed = new Set<ManagedProcess>();
let hooked = false;

/**
 * Registers a client for `cleanupClients()` and for the exit hook that
 * SIGKILLs whatever is still running when the host process exits (go-plugin's
 * `Managed` clients).
 */
export function manage(p: ManagedProcess): void {
  managed.add(p);
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const m of managed) m.killNow();
    });
  }
}

export function unmanage(p: ManagedProcess): void {
  managed.delete(p);
}

/** Kills every managed client gracefully, in parallel (go-plugin's CleanupClients). */
export async function cleanupClients(): Promise<void> {
  await Promise.all([...managed].map((m) => m.kill()));
}
