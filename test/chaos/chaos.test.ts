// The short chaos run inside `npm test`: 20 s of faults on a 3-node ensemble with 5 workers, and
// the history checker's verdict (`npm run chaos` runs the long version).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { externalHosts, stopAll } from '../harness/index.js';
import { formatSummary, runChaos } from './orchestrator.js';

after(() => stopAll());

test('locks and leaders stay exclusive and fenced under 20 s of faults', async (t) => {
  if (externalHosts()) {
    t.skip('needs a harness-started ensemble (ZK_HOSTS is set)');
    return;
  }
  const report = await runChaos({ durationMs: 20_000, workers: 5 });
  const summary = formatSummary(report);
  for (const line of summary.split('\n')) t.diagnostic(line);
  assert.equal(report.violations.length, 0, summary);
  const kinds = Object.entries(report.stats.faults).filter(([, n]) => (n ?? 0) > 0);
  const total = kinds.reduce((sum, [, n]) => sum + (n ?? 0), 0);
  assert.ok(kinds.length >= 3 && total >= 4, `too few faults injected:\n${summary}`);
  assert.ok(report.stats.acquisitions > 0, `no lock acquisitions:\n${summary}`);
  assert.ok(report.stats.elections > 0, `no elections:\n${summary}`);
  assert.ok(report.stats.writesAccepted > 0, `no fenced writes:\n${summary}`);
});
