/**
 * Opt-in signal handling: on SIGINT or SIGTERM, rescind every live leader (so the next contender
 * is elected at once, not after the session timeout), close the default sessions, then exit.
 */
import createDebug from 'debug';
import { closeDefaultSessions } from './defaults.js';
import { cleanupRegionLeaders } from './recipes/leader.js';
import { keysOf, optionsBag, waitMs } from './validate.js';

const debug = createDebug('zoosync:leader');

/** Options of `installShutdownHandlers`. */
interface ShutdownOptions {
  timeoutMs?: number;
  exit?: boolean;
}

const SHUTDOWN_OPTION_KEYS = keysOf<ShutdownOptions>({ timeoutMs: true, exit: true });

/** Installs SIGINT/SIGTERM handlers that clean up and exit (128 + signal number); returns an uninstaller. */
export function installShutdownHandlers(options?: ShutdownOptions): () => void {
  options = optionsBag(options, SHUTDOWN_OPTION_KEYS);
  const timeoutMs = waitMs(options.timeoutMs ?? 5000, 'options.timeoutMs');
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
