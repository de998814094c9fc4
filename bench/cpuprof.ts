/**
 * Summarizes a `node --cpu-prof` profile: self time by area (node-zookeeper-client, zoosync,
 * the bench, Node internals, GC, idle) and the top functions by self time.
 * Usage: node .build/bench/cpuprof.js <file.cpuprofile> [top=25]
 */
import * as fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the stack a frame belongs to. */
export function areaOf(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle (waiting for I/O)';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'V8/native (program)';
  if (url.includes('node-zookeeper-client/lib/jute')) return 'node-zookeeper-client: jute';
  if (url.includes('node-zookeeper-client')) return 'node-zookeeper-client: other';
  if (url.includes('node_modules/debug') || url.includes('node_modules/ms')) return 'debug';
  if (url.includes('/.build/src/')) return 'zoosync (src)';
  if (url.includes('/.build/bench/') || url.includes('/.build/test/')) return 'bench/harness';
  if (url.startsWith('node:') || url === '') return 'Node internals/builtins';
  return 'other';
}

/** Self time (ms) per function and per area. */
export function summarize(p: Profile): { total: number; areas: Map<string, number>; fns: Map<string, number> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const f = byId.get(id)!.callFrame;
    const area = areaOf(f.url, f.functionName);
    const short = f.url.replace(/^.*\/(node_modules|\.build)\//, '').replace(/^file:\/\//, '');
    const key = `${f.functionName || '(anonymous)'}  ${short}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    total += ms;
    areas.set(area, (areas.get(area) ?? 0) + ms);
    fns.set(key, (fns.get(key) ?? 0) + ms);
  });
  return { total, areas, fns };
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpuprof.js <file.cpuprofile> [top]');
  const { total, areas, fns } = summarize(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile);
  const busy = total - (areas.get('idle (waiting for I/O)') ?? 0);
  const pct = (ms: number, of: number): string => `${((ms / of) * 100).toFixed(1).padStart(5)}%`;
  console.log(`total ${total.toFixed(0)} ms, busy ${busy.toFixed(0)} ms`);
  for (const [a, ms] of [...areas].sort((x, y) => y[1] - x[1])) console.log(`  ${pct(ms, total)} ${ms.toFixed(0).padStart(7)} ms  ${a}`);
  console.log(`top self time (share of busy):`);
  const top = [...fns].filter(([k]) => !k.startsWith('(idle)')).sort((x, y) => y[1] - x[1]).slice(0, Number(topArg ?? 25));
  for (const [k, ms] of top) console.log(`  ${pct(ms, busy)} ${ms.toFixed(0).padStart(6)} ms  ${k}`);
}

if (process.argv[1]?.endsWith('cpuprof.js')) main();
