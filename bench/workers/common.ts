/** Worker-side IPC helpers: read the config, report to the parent, exit when the parent goes away. */
import type { WorkerMessage } from '../child.js';

/** The config the parent passed in env `BENCH_WORKER`. */
export function workerConfig<T>(): T {
  return JSON.parse(process.env.BENCH_WORKER ?? '{}') as T;
}

/** Sends a message to the parent. */
export function report(message: WorkerMessage): void {
  process.send?.(message);
}

/** Resolves with the next message of `type` from the parent. */
export function nextMessage(type: string): Promise<WorkerMessage> {
  return new Promise((resolve) => {
    const on = (m: WorkerMessage): void => {
      if (m.type !== type) return;
      process.off('message', on);
      resolve(m);
    };
    process.on('message', on);
  });
}

/** Runs `main`, reporting a failure as an `error` message; exits when done or when the parent disconnects. */
export function runWorker(main: () => Promise<void>): void {
  process.on('disconnect', () => process.exit(0));
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      report({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      setTimeout(() => process.exit(1), 100);
    },
  );
}
