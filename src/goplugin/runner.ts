import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { reaper } from "./reaper.js";

/**
 * How a plugin process is run, apart from the protocol spoken with it
 * (go-plugin's `runner` package). `Client` uses `spawnRunner` unless given
 * another; a runner for containers, SEA executables or in-process test plugins
 * implements `Runner`, and reattaching to a running plugin needs only an
 * `AttachedPlugin`.
 */

/** How a process ended: exit code or signal, or the error that kept it from starting. */
export interface PluginExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES, ...). */
  error?: Error;
}

/** A running plugin process, whether this host started it or not. */
export interface AttachedPlugin {
  /** The process id when there is one; used in logs and by `Client.pid`. */
  readonly pid?: number;
  /** Settles once, when the process has ended (or failed to start). Never rejects. */
  readonly exited: Promise<PluginExit>;
  /**
   * Ends the process now, with everything it started (its process group on
   * POSIX). Idempotent; a no-op once it has exited. Must not throw.
   */
  killNow(): void;
}

/** A plugin process this host started: its stdout carries the handshake, its stderr the logs. */
export interface StartedPlugin extends AttachedPlugin {
  readonly stdout: Readable;
  readonly stderr: Readable;
}

/** What to run: the environment is complete (the host's own is already merged in or left out). */
export interface PluginCommand {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string;
  stdin: "inherit" | "ignore";
}

export interface Runner {
  /**
   * Starts `cmd`. Start failures may throw or be reported through `exited`
   * with `error` set; either way the client reports SPAWN_FAILED.
   */
  start(cmd: PluginCommand): StartedPlugin;
}

export interface SpawnRunnerOptions {
  /**
   * Kill the plugin's process group when this host process dies, even by
   * SIGKILL (a small `sh` sidecar holding a pipe to the host; see reaper.ts).
   * Default true; POSIX only.
   */
  killWithHost?: boolean;
}

/**
 * Runs the plugin as a child process in its own process group (so the host
 * terminal's Ctrl-C reaches the host only, which then stops the plugin itself,
 * as go-plugin does), optionally registered with the host-death reaper.
 */
export function spawnRunner(opts: SpawnRunnerOptions = {}): Runner {
  const posix = process.platform !== "win32";
  return {
    start(cmd) {
      const proc = spawn(cmd.command, [...cmd.args], {
        env: cmd.env,
        cwd: cmd.cwd,
        stdio: [cmd.stdin, "pipe", "pipe"],
        detached: posix,
      });
      const pid = proc.pid;
      const guard = posix && pid !== undefined && opts.killWithHost !== false ? reaper()?.register(pid) : undefined;
      let done = false;
      const exited = new Promise<PluginExit>((resolve) => {
        proc.once("exit", (code, signal) => {
          done = true;
          guard?.release();
          resolve({ code, signal });
        });
        proc.once("error", (error) => {
          // 'error' without a pid means it never ran; with one, it is a failed kill/send and 'exit' follows.
          if (pid !== undefined) return;
          done = true;
          resolve({ code: null, signal: null, error });
        });
      });
      return {
        pid,
        stdout: proc.stdout!,
        stderr: proc.stderr!,
        exited,
        killNow() {
          if (done || pid === undefined) return;
          try {
            process.kill(posix ? -pid : pid, "SIGKILL");
          } catch {
            try {
              proc.kill("SIGKILL");
            } catch {
              // already gone
            }
          }
        },
      };
    },
  };
}
