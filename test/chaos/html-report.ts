/**
 * The history visual (`npm run chaos -- --html report.html`): one self-contained page, one lane per
 * worker incarnation showing when it believed it held each key or led, faults as bands across all
 * lanes (worker faults outlined on their own lane too), violations marked. The page draws itself
 * from the JSON it embeds, so loading it in a browser is the test that it works.
 */
import type { Violation } from './checker.js';
import type { Belief } from './intervals.js';
import type { Fault } from './history.js';

/** What the page shows. */
export interface VisualInput {
  t0: number;
  tEnd: number;
  workers: string[];
  beliefs: Belief[];
  faults: Fault[];
  violations: Violation[];
  title: string;
}

/** The data as the page's script reads it: times in ms from the start of the run. */
function pageData(v: VisualInput): unknown {
  const rel = (t: number): number => Math.round(t - v.t0);
  return {
    title: v.title,
    span: rel(v.tEnd),
    workers: v.workers,
    holds: v.beliefs.map((b) => ({ w: b.worker, key: b.key, recipe: b.recipe, from: rel(b.start), to: rel(b.end), token: String(b.token), ended: b.ended })),
    faults: v.faults.map((f) => ({ kind: f.kind, target: f.target, from: rel(f.start), to: rel(f.end ?? v.tEnd), note: f.note ?? '' })),
    violations: v.violations.map((x) => ({ kind: x.kind, message: x.message, at: x.at === undefined ? null : rel(x.at), workers: x.workers ?? [] })),
  };
}

const STYLE = `
body{font:12px system-ui,sans-serif;margin:12px;color:#222}
#chart{position:relative;margin-left:90px;border-left:1px solid #999}
.lane{position:relative;height:38px;border-bottom:1px solid #eee}
.lane .name{position:absolute;left:-90px;width:84px;text-align:right;top:12px;font-weight:600}
.hold{position:absolute;height:5px;border-radius:2px;opacity:.85}
.fault{position:absolute;top:0;bottom:0;background:rgba(255,160,0,.12);border-left:1px dashed rgba(200,100,0,.5)}
.fault.server{background:rgba(120,120,255,.12)}
.own-fault{position:absolute;top:0;height:38px;outline:1px solid rgba(200,100,0,.8)}
.violation{position:absolute;top:0;bottom:0;width:2px;background:red}
.mark{position:absolute;top:0;width:8px;height:8px;margin-left:-4px;background:red;border-radius:4px}
#legend span{display:inline-block;margin-right:12px}
#legend i{display:inline-block;width:14px;height:6px;margin-right:4px}
`;

/** The page's script: builds the lanes, bands and marks from the embedded JSON. */
const SCRIPT = `
const d = JSON.parse(document.getElementById('data').textContent);
const keys = [...new Set(d.holds.map((h) => h.key))].sort();
const hue = (k) => Math.round((keys.indexOf(k) * 360) / Math.max(1, keys.length));
const pct = (ms) => (100 * ms) / Math.max(1, d.span) + '%';
const el = (tag, cls, parent, style = {}, title) => {
  const e = document.createElement(tag); if (cls) e.className = cls; Object.assign(e.style, style);
  if (title) e.title = title; parent.appendChild(e); return e;
};
document.getElementById('title').textContent = d.title;
const legend = document.getElementById('legend');
for (const k of keys) { const s = el('span', 'key', legend); el('i', '', s, { background: 'hsl(' + hue(k) + ',70%,45%)' }); s.append(k); }
const chart = document.getElementById('chart');
for (const f of d.faults) {
  el('div', 'fault' + (/^zk/.test(f.target) ? ' server' : ''), chart, { left: pct(f.from), width: pct(Math.max(1, f.to - f.from)) }, f.kind + ' ' + f.target + ' ' + f.note).dataset.kind = f.kind;
}
for (const w of d.workers) {
  const lane = el('div', 'lane', chart); lane.dataset.worker = w;
  el('div', 'name', lane).textContent = w;
  for (const f of d.faults.filter((f) => f.target === w)) el('div', 'own-fault', lane, { left: pct(f.from), width: pct(Math.max(1, f.to - f.from)) }, f.kind);
  for (const h of d.holds.filter((h) => h.w === w)) {
    el('div', 'hold', lane, { left: pct(h.from), width: pct(Math.max(1, h.to - h.from)), top: 2 + 4 * keys.indexOf(h.key) + 'px', background: 'hsl(' + hue(h.key) + ',70%,45%)' },
      h.recipe + ' ' + h.key + ' token ' + h.token + ' (' + h.ended + ')').dataset.key = h.key;
  }
  for (const v of d.violations.filter((v) => v.at !== null && v.workers.includes(w))) el('div', 'mark', lane, { left: pct(v.at) }, v.kind + ': ' + v.message);
}
for (const v of d.violations.filter((v) => v.at !== null)) el('div', 'violation', chart, { left: pct(v.at) }, v.kind);
const list = document.getElementById('violations');
list.textContent = d.violations.length ? '' : 'no violations';
for (const v of d.violations) el('li', 'violation-item', list).textContent = v.kind + ': ' + v.message;
document.body.dataset.ready = 'yes';
`;

/** Renders the page; everything it needs is inline (no network). */
export function renderHtml(v: VisualInput): string {
  const json = JSON.stringify(pageData(v)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>zoosync chaos history</title><style>${STYLE}</style></head>
<body><h2 id="title"></h2><div id="legend"></div>
<p>Lanes: one per worker incarnation; bars: when it believed it held a key (one row per key); shaded bands: faults (blue: a server, orange: a worker, outlined on its lane); red: violations.</p>
<div id="chart"></div><h3>Violations</h3><ul id="violations"></ul>
<script type="application/json" id="data">${json}</script>
<script>${SCRIPT}</script></body></html>
`;
}
