// The history visual in a real headless browser (Debian's chromium): the page draws one lane per
// worker, the fault bands and the violation marks from the JSON it embeds.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { renderHtml } from './html-report.js';

const run = promisify(execFile);
const T0 = 1_000_000;

/** The chromium binary, if installed (`.ci/run` installs Debian's). */
function chromium(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Loads `file` in headless chromium with a fresh profile and returns the DOM after its scripts ran. */
async function dumpDom(browser: string, file: string, profile: string): Promise<string> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`];
  const { stdout } = await run(browser, [...flags, '--dump-dom', `file://${file}`], { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

test('the history page draws a lane per worker, fault bands and violation marks in chromium', async (t) => {
  const browser = chromium();
  if (!browser) {
    t.skip('chromium is not installed (apt-get install -y chromium; .ci/run does)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoosync-html-'));
  try {
    const page = renderHtml({
      t0: T0,
      tEnd: T0 + 10_000,
      workers: ['w1.1', 'w2.1', 'w3.1'],
      beliefs: [
        { key: 'lock', recipe: 'region-lock', worker: 'w1.1', op: 1, token: 10n, start: T0 + 100, end: T0 + 900, ended: 'released' },
        { key: 'leader', recipe: 'region-leader', worker: 'w2.1', op: 2, token: 11n, start: T0 + 200, end: T0 + 3000, ended: 'rescinded: resigned' },
        { key: 'lock', recipe: 'region-lock', worker: 'w3.1', op: 3, token: 12n, start: T0 + 800, end: T0 + 1500, ended: 'released' },
      ],
      faults: [
        { kind: 'zk-partition', target: 'zk2', start: T0 + 1000, end: T0 + 4000 },
        { kind: 'net-oneway-to-server', target: 'w2.1', start: T0 + 2000, end: T0 + 2500 },
      ],
      violations: [{ kind: 'lock-overlap', message: 'both believed they held lock', at: T0 + 800, workers: ['w1.1', 'w3.1'] }],
      title: 'test </script> page',
    });
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, page);
    const dom = await dumpDom(browser, file, path.join(dir, 'profile'));
    assert.match(dom, /<body[^>]*data-ready="yes"/, 'the page script did not finish');
    const lanes = [...dom.matchAll(/class="lane" data-worker="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(lanes, ['w1.1', 'w2.1', 'w3.1']);
    assert.equal([...dom.matchAll(/class="hold"/g)].length, 3);
    assert.equal([...dom.matchAll(/class="fault( server)?"[^>]*data-kind=/g)].length, 2);
    assert.equal([...dom.matchAll(/class="own-fault"/g)].length, 1);
    assert.equal([...dom.matchAll(/class="mark"/g)].length, 2, 'a mark on each lane the violation concerns');
    assert.match(dom, /<li class="violation-item">lock-overlap: both believed they held lock<\/li>/);
    assert.match(dom, /test &lt;\/script&gt; page/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
