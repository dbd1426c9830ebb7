import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";

/**
 * Plugins must not outlive their host, even a host killed by SIGKILL (no exit
 * hook runs then). A `/bin/sh` sidecar, started once per host process in its
 * own session, reads "+pgid" / "-pgid" lines from a pipe whose only writer is
 * the host. When the host dies, for whatever reason, the kernel closes that
 * pipe, `read` sees end of file and the sidecar SIGKILLs every process group
 * still registered, then exits.
 *
 * Why this and not a parent-death signal (`setpriv --pdeathsig`): /bin/sh is
 * on every POSIX system Node runs on (Node's own `shell: true` needs it),
 * setpriv is missing on Alpine/busybox, distroless and macOS; pdeathsig
 * reaches only the direct child, not what the plugin started, and it fires
 * when the *thread* that forked exits (a worker thread ending would kill its
 * plugins); a wrapper also turns a missing plugin binary into "exit 127"
 * instead of ENOENT. A Node sidecar would cost ~40 MB and does not exist
 * inside a SEA executable. The sidecar costs one `sh` (about 1 MB RSS) per host.
 */
const SCRIPT = `
trap '' INT HUP TERM PIPE
pgs=' '
while read -r op pg; do
  case $op in
    +) pgs="$pgs$pg " ;;
    -) case $pgs in *" $pg "*) pgs="\${pgs%%" $pg "*} \${pgs#*" $pg "}" ;; esac ;;
  esac
done
for pg in $pgs; do kill -s KILL -- "-$pg" 2>/dev/null; done
exit 0
`;

/** A registration; `release()` once the process group is gone. */
export interface ReaperGuard {
  release(): void;
}

export interface Reaper {
  register(pgid: number): ReaperGuard;
  /** The sidecar's pid (tests count it). */
  readonly pid: number | undefined;
}

let instance: Reaper | null | undefined;

/**
 * The host's reaper, started on first use; null where there is none (Windows,
 * or /bin/sh could not be started: plugins then outlive a killed host, as in go-plugin).
 */
export function reaper(): Reaper | null {
  if (instance !== undefined) return instance;
  if (process.platform === "win32") return (instance = null);
  let child: ChildProcess;
  try {
    child = spawn("/bin/sh", ["-c", SCRIPT], { stdio: ["pipe", "ignore", "ignore"], detached: true });
  } catch {
    return (instance = null);
  }
  const stdin = child.stdin as Socket;
  let alive = child.pid !== undefined;
  const down = () => {
    alive = false;
    if (instance && instance.pid === child.pid) instance = undefined;
  };
  child.once("error", down);
  child.once("exit", down);
  stdin.on("error", down);
  // Neither the sidecar nor its pipe keeps the host's event loop alive.
  child.unref();
  stdin.unref();
  const send = (line: string) => {
    if (alive) stdin.write(line);
  };
  const r: Reaper = {
    pid: child.pid,
    register(pgid) {
      send(`+ ${pgid}\n`);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          send(`- ${pgid}\n`);
        },
      };
    },
  };
  return (instance = alive ? r : null);
}
