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
  const handler = (signal: NodeJS.Signals): void => {
    debug('%s: rescinding leaders and closing sessions', signal);
    const code = signal === 'SIGINT' ? 130 : 143;
    const done = (): void => {
      if (options.exit !== false) process.exit(code);
    };
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    cleanupRegionLeaders()
      .then(() => closeDefaultSessions())
      .catch((error: unknown) => debug('cleanup failed: %s', (error as Error).message))
      .finally(() => {
        clearTimeout(timer);
        done();
      });
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
