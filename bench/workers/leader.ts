/** Worker: becomes leader of `id` on its own Session and reports it; the parent then SIGKILLs it. */
import { regionLeader, Session } from '../../src/index.js';
import { nextMessage, report, runWorker, workerConfig } from './common.js';

const cfg = workerConfig<{ hosts: string; id: string; sessionTimeoutMs: number }>();

runWorker(async () => {
  const session = new Session({ hosts: cfg.hosts, sessionTimeoutMs: cfg.sessionTimeoutMs });
  try {
    const leader = await regionLeader(cfg.id, { session });
    report({ type: 'elected', path: leader.path, sessionTimeoutMs: session.sessionTimeoutMs });
    await nextMessage('close'); // normally never comes: the parent kills us
    await leader.rescind();
  } finally {
    await session.close();
  }
});
