/**
 * Global leadership (Go `NewGlobalLeader`): a region leader that campaigns only while the
 * supplied check says this region leads, and, unlike Go, rescinds when the region stops leading.
 */
import createDebug from 'debug';
import { waitFirst } from './wait.js';
import type { Leader } from './leader.js';

const debug = createDebug('zoosync:leader');

/** Something that tells us when the leading region may have changed. */
export type ChangeSource = EventTarget | { on(event: 'change', l: () => void): unknown; off(event: 'change', l: () => void): unknown };

/** What `gatedCampaign` needs. */
export interface GateOptions {
  isLeaderRegion: () => boolean | Promise<boolean>;
  recheckMs: number;
  changes?: ChangeSource | undefined;
  signal?: AbortSignal | undefined;
}

function subscribe(source: ChangeSource | undefined, listener: () => void): () => void {
  if (!source) return () => undefined;
  if (typeof (source as EventTarget).addEventListener === 'function') {
    const target = source as EventTarget;
    target.addEventListener('change', listener);
    return () => target.removeEventListener('change', listener);
  }
  const emitter = source as Exclude<ChangeSource, EventTarget>;
  emitter.on('change', listener);
  return () => emitter.off('change', listener);
}

/** Asks whether this region leads; a throw, or no answer within `recheckMs`, counts as no. */
async function check(gate: GateOptions): Promise<boolean> {
  const asked = Promise.resolve()
    .then(() => gate.isLeaderRegion())
    .then(
      (answer) => answer === true,
      (error: unknown) => {
        debug('isLeaderRegion threw (%s); treating this region as not leading', (error as Error).message);
        return false;
      },
    );
  return waitFirst<boolean>({ promise: asked, signal: gate.signal, timers: [{ at: performance.now() + gate.recheckMs, value: false }] });
}

/** Waits until this region leads, campaigns, and rescinds the leader if the region stops leading. */
export async function gatedCampaign(gate: GateOptions, run: (signal?: AbortSignal) => Promise<Leader>): Promise<Leader> {
  let changedMeanwhile = false;
  let poke: () => void = () => (changedMeanwhile = true);
  const unsubscribe = subscribe(gate.changes, () => poke());
  try {
    while (!(await check(gate))) {
      if (changedMeanwhile) {
        changedMeanwhile = false;
        continue;
      }
      const changed = new Promise<string>((resolve) => (poke = () => resolve('change')));
      await waitFirst({ promise: changed, signal: gate.signal, timers: [{ at: performance.now() + gate.recheckMs, value: 'tick' }] });
      poke = () => (changedMeanwhile = true);
    }
  } finally {
    unsubscribe();
  }
  const leader = await run(gate.signal);
  watchRegion(gate, leader);
  return leader;
}

/** Rechecks, one at a time, on the interval and on change events, at once after election too. */
function watchRegion(gate: GateOptions, leader: Leader): void {
  if (!leader.isLeader) return;
  let running = false;
  let again = false;
  const recheck = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        if (!leader.isLeader) return;
        if (!(await check({ ...gate, signal: leader.signal }).catch(() => true))) {
          debug('region no longer leads; rescinding %s', leader.id);
          await leader.rescind();
          return;
        }
      } while (again);
    } finally {
      running = false;
    }
  };
  const unsubscribe = subscribe(gate.changes, () => void recheck());
  const timer = setInterval(() => void recheck(), gate.recheckMs);
  timer.unref();
  leader.signal.addEventListener(
    'abort',
    () => {
      clearInterval(timer);
      unsubscribe();
    },
    { once: true },
  );
  // The region may have stopped leading while we waited behind another contender.
  void recheck();
}
