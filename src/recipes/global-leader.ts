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

async function check(gate: GateOptions): Promise<boolean> {
  try {
    return (await gate.isLeaderRegion()) === true;
  } catch (error) {
    debug('isLeaderRegion threw (%s); treating this region as not leading', (error as Error).message);
    return false;
  }
}

/** Waits until this region leads, campaigns, and rescinds the leader if the region stops leading. */
export async function gatedCampaign(gate: GateOptions, run: (signal?: AbortSignal) => Promise<Leader>): Promise<Leader> {
  let poke: () => void = () => undefined;
  const unsubscribe = subscribe(gate.changes, () => poke());
  try {
    while (!(await check(gate))) {
      const changed = new Promise<string>((resolve) => (poke = () => resolve('change')));
      await waitFirst({ promise: changed, signal: gate.signal, timers: [{ at: performance.now() + gate.recheckMs, value: 'tick' }] });
    }
  } finally {
    unsubscribe();
  }
  const leader = await run(gate.signal);
  watchRegion(gate, leader);
  return leader;
}

function watchRegion(gate: GateOptions, leader: Leader): void {
  if (!leader.isLeader) return;
  let timer: NodeJS.Timeout | undefined;
  const recheck = async (): Promise<void> => {
    if (!leader.isLeader) return;
    if (!(await check(gate))) {
      debug('region no longer leads; rescinding %s', leader.id);
      await leader.rescind();
    }
  };
  const unsubscribe = subscribe(gate.changes, () => void recheck());
  timer = setInterval(() => void recheck(), gate.recheckMs);
  timer.unref();
  leader.signal.addEventListener(
    'abort',
    () => {
      clearInterval(timer);
      timer = undefined;
      unsubscribe();
    },
    { once: true },
  );
}
