/**
 * Opt-in signal handling: on SIGINT or SIGTERM, rescind every live leader (so the next contender
 * is elected at once, not after the session timeout), close the default sessions, then exit.
 */
import createDebug from 'debug';
import { closeDefaultSessions } from './defaults.js';
import { cleanupRegionLeaders } from './recipes/leader.js';

const debug = createDebug('zoosync:leader');

/** Installs SIGINT/SIGTERM handlers that clean up and exit (128 + signal number); returns an uninstaller. */
export function installShutdownHandlers(options: { timeoutMs?: number; exit?: boolean } = {}): () => void {
  const timeoutMs = options.timeoutMs ?? 5000;
  let cleaning: Promise<void> | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : 143;
    const done = (): void => {
      if (options.exit !== false) process.exit(code);
    };
    // A second signal waits for the cleanup the first one started (with the same time limit).
    if (!cleaning) {
      debug('%s: rescinding leaders and closing sessions', signal);
      cleaning = cleanupRegionLeaders()
        .then(() => closeDefaultSessions())
        .catch((error: unknown) => debug('cleanup failed: %s', (error as Error).message));
    }
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    void cleaning.finally(() => {
      clearTimeout(timer);
      done();
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
