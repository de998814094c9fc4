/** The exit codes of `zoosync`, as the README's "Operating it" section documents them. */
export const EXIT = {
  /** Done; nothing wrong found. */
  OK: 0,
  /** A problem found (`doctor`), or nothing to act on (`release` of a lock nobody holds). */
  PROBLEM: 1,
  /** Bad command line or configuration: unknown command or flag, bad value. Nothing was sent. */
  USAGE: 2,
  /** `release` not confirmed (no `--force`, or no `--yes` without a terminal): nothing was changed. */
  NOT_CONFIRMED: 3,
  /** ZooKeeper unreachable, or it refused us (authentication, TLS, ACL). */
  ZOOKEEPER: 4,
} as const;
