/** Worker: a group of contending sessions; runs timed windows on `go` and reports their counts. */
import { ContenderGroup } from '../contend.js';
import { nextMessage, report, runWorker, workerConfig } from './common.js';

const cfg = workerConfig<{ hosts: string; id: string; sessions: number }>();

runWorker(async () => {
  const group = new ContenderGroup(cfg.hosts, cfg.id, cfg.sessions);
  try {
    await group.ready();
    report({ type: 'ready' });
    const closing = nextMessage('close');
    for (;;) {
      const m = await Promise.race([nextMessage('go'), closing]);
      if (m.type === 'close') break;
      report({ type: 'counts', ...(await group.run(Number(m.durationMs))) });
    }
  } finally {
    await group.close();
  }
  report({ type: 'closed' });
});
