/** What the child processes of the tests share: one clock, reports to the parent, a common start. */

/** Wall-clock ms on a monotonic base: comparable across processes on one machine. */
export const now = (): number => performance.timeOrigin + performance.now();

/** Sends `message` to the parent over IPC (or prints it as a JSON line without IPC); resolves once sent. */
export function report(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, () => resolve());
  });
}

/** Reports `{ ready: true }` and waits for the parent's go, so that all workers start together (at once without IPC). */
export async function readyThenGo(): Promise<void> {
  const go = new Promise<void>((resolve) => {
    if (!process.send) return resolve();
    process.once('message', () => resolve());
  });
  await report({ ready: true });
  await go;
}
