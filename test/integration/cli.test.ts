/**
 * The operator CLI (`zoosync`, built to .build/src/cli/main.js) run as a child process against a
 * real ZooKeeper, with real locks and leaders held by this test: the `--json` output of every
 * command, the exit codes, and that `release --force` really frees a lock.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LockLostError, regionLeader, regionTimedLock } from '../../src/index.js';
import { freePorts, makeTestPki, needsOwnServers, sharedServer, startStandalone, stopAll, uniqueId, waitFor, within } from '../harness/index.js';
import { testEnv, type TestEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The child's environment: ours without anything that would change its connection or namespace, then `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of ['ZK_HOSTS', 'ZK_AUTH', 'ZK_TLS_CA', 'ZK_TLS_CERT', 'ZK_TLS_KEY', 'ZOOSYNC_NAMESPACE', 'ZK_SESSION_TIMEOUT_MS', 'ZK_CONNECT_TIMEOUT_MS', 'DEBUG']) delete base[name];
  return { ...base, ...env };
}

/** Runs `zoosync …args` to completion. */
function zoosync(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [CLI, ...args], { env: childEnv(env), timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** A node as `--json` prints it (fencing tokens as strings). */
interface NodeOut {
  node: string;
  path: string;
  sessionId: string;
  fencingToken: string;
  ageMs: number;
  deadline: string;
  leaseLeftMs: number;
  data?: string;
  dataBase64?: string;
}

/** A lock or an election as `--json` prints it. */
interface ViewOut {
  id: string;
  path: string;
  state: string;
  holder: NodeOut;
  waiters: NodeOut[];
  leader: NodeOut;
  participants: NodeOut[];
}

/** What a host's entry of `doctor --json` holds, as far as these tests read it. */
interface HostOut {
  reach: { reachable: boolean; tls: { authorized: boolean; protocol: string } };
  server: { whitelisted: boolean; version: string; mode: string };
  session: { ok: boolean; requestedTimeoutMs: number; negotiatedTimeoutMs: number; clock: { offsetMs: number; uncertaintyMs: number } };
}

/** Every field of every command's `--json` that these tests read (each command prints some of them). */
interface Out extends ViewOut {
  namespace: string;
  locks: ViewOut[];
  elections: ViewOut[];
  kind: string;
  released: boolean;
  reason: string;
  wouldDelete: string;
  deleted: string;
  warning: string;
  ok: boolean;
  chroot: string | null;
  problems: string[];
  tls: { enabled: boolean; clientCertificate: boolean };
  auth: { schemes: string[]; status: string };
  hosts: HostOut[];
  error: { code?: string; message: string };
  exitCode: number;
}

const parse = (text: string): Out => JSON.parse(text) as Out;

/** `value`, failing the test when it is undefined. */
function must<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `${what} is missing`);
  return value;
}

/** Runs `zoosync …args --json` against this test's root and parses its one JSON document. */
async function zoosyncJson(t: TestEnv, args: string[], expectCode = 0): Promise<Out> {
  const r = await zoosync([...args, '--json'], { ZK_HOSTS: t.hosts });
  assert.equal(r.code, expectCode, `zoosync ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return parse(r.stdout);
}

test('locks and leaders list what is held: holder, fencing token, lease, waiters, leader data, participants', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const holderSession = env.session();
  const waiterSession = env.session();
  try {
    const id = `${uniqueId('orders')}/42`;
    const lock = await regionTimedLock(id, { session: holderSession, holdForMs: 30_000 });
    const waiting = regionTimedLock(id, { session: waiterSession, waitForMs: 30_000, holdForMs: 5000 });
    waiting.catch(() => undefined);
    const electionId = `${uniqueId('billing')}/cron`;
    const leader = await regionLeader(electionId, { session: holderSession, data: 'http://a.internal:8080' });
    const follower = regionLeader(electionId, { session: waiterSession, data: Buffer.from([0xff, 0x00]) });
    follower.catch(() => undefined);
    const free = uniqueId('free');
    await (await regionTimedLock(free, { session: holderSession })).unlock();
    await waitFor(async () => (await zoosyncJson(env, ['locks'])).locks.find((l) => l.id === id)?.waiters.length === 1, { timeoutMs: 10_000, message: 'the waiter queued' });

    const listed = await zoosyncJson(env, ['locks']);
    assert.equal(listed.namespace, 'sync/regionlock');
    const row = must(listed.locks.find((l) => l.id === id), `lock ${id}`);
    assert.equal(row.path, `/sync/regionlock/${id.replaceAll('/', '#')}`);
    assert.equal(row.state, 'held');
    assert.equal(row.holder.fencingToken, lock.fencingToken.toString());
    assert.equal(row.holder.path, lock.path);
    assert.equal(row.holder.sessionId, `0x${holderSession.current!.sessionId}`);
    assert.ok(row.holder.leaseLeftMs > 0 && row.holder.leaseLeftMs <= 30_000, `lease left ${row.holder.leaseLeftMs}`);
    assert.ok(Date.parse(row.holder.deadline) > Date.now());
    assert.ok(row.holder.ageMs >= 0);
    assert.equal(row.waiters.length, 1);
    assert.equal(row.waiters[0]?.sessionId, `0x${waiterSession.current!.sessionId}`);
    assert.ok(BigInt(must(row.waiters[0], 'the waiter').fencingToken) > lock.fencingToken);
    assert.equal(listed.locks.find((l) => l.id === free)?.state, 'free', 'an unlocked parent awaiting the reaper is listed as free');
    assert.deepEqual((await zoosyncJson(env, ['locks', '--namespace', 'other/ns'])).locks, []);

    const text = await zoosync(['locks'], { ZK_HOSTS: env.hosts });
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`^${id}\\s+held\\s+0x${holderSession.current!.sessionId}\\s+${lock.fencingToken}\\s`, 'm'));

    const elections = (await zoosyncJson(env, ['leaders'])).elections;
    const e = must(elections.find((x) => x.id === electionId), `election ${electionId}`);
    assert.equal(e.path, `/sync/regionleader/${electionId}`);
    assert.equal(e.state, 'led');
    assert.equal(e.leader.path, leader.path);
    assert.equal(e.leader.fencingToken, leader.fencingToken.toString());
    assert.equal(e.leader.data, 'http://a.internal:8080');
    assert.equal(e.participants.length, 2);
    assert.equal(e.participants[1]?.dataBase64, Buffer.from([0xff, 0x00]).toString('base64'), 'data that is not UTF-8 comes as base64');
    assert.equal(elections.some((x) => x.id === electionId.split('/')[0]), false, 'the parent of a nested id is not an election');

    await leader.rescind();
    await (await follower).rescind();
    await lock.unlock();
    await (await waiting).unlock();
  } finally {
    await env.finish();
  }
});

test('release: refused without --force and --yes, then frees the lock: the holder signal aborts and the waiter enters', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('stuck');
    const lock = await regionTimedLock(id, { session: env.session(), holdForMs: 60_000 });
    const waiting = regionTimedLock(id, { session: env.session(), waitForMs: 60_000, holdForMs: 5000 });
    waiting.catch(() => undefined);

    const refused = await zoosyncJson(env, ['release', id], 3);
    assert.equal(refused.released, false);
    assert.equal(refused.reason, 'needs --force');
    assert.equal(refused.wouldDelete, lock.path);
    assert.match(refused.warning, /fencing token/);
    const unconfirmed = await zoosyncJson(env, ['release', id, '--force'], 3);
    assert.equal(unconfirmed.released, false, 'without a terminal, --force needs --yes');
    const text = await zoosync(['release', id], { ZK_HOSTS: env.hosts });
    assert.equal(text.code, 3);
    assert.match(text.stderr, /WARNING: a holder that is alive/);
    assert.equal(lock.signal.aborted, false, 'nothing was deleted');

    const done = await zoosyncJson(env, ['release', id, '--force', '--yes']);
    assert.equal(done.released, true);
    assert.equal(done.deleted, lock.path);
    assert.equal(done.holder.fencingToken, lock.fencingToken.toString());
    await waitFor(() => lock.signal.aborted, { timeoutMs: 10_000, message: "the holder's signal to abort" });
    assert.ok(lock.signal.reason instanceof LockLostError, `aborted with ${String(lock.signal.reason)}`);
    const next = await within(waiting, 10_000, 'the waiter to enter');
    assert.ok(next.fencingToken > lock.fencingToken);
    await next.unlock();
    await lock.unlock();

    const nothing = await zoosyncJson(env, ['release', id, '--force', '--yes'], 1);
    assert.equal(nothing.reason, 'not held');
  } finally {
    await env.finish();
  }
});

test('release --leader deletes the leader node: it is rescinded and the next participant leads', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('cron');
    const leader = await regionLeader(id, { session: env.session() });
    const next = regionLeader(id, { session: env.session() });
    next.catch(() => undefined);
    await waitFor(async () => (await zoosyncJson(env, ['leaders'])).elections.find((e) => e.id === id)?.participants.length === 2, { timeoutMs: 10_000, message: 'second participant' });
    const done = await zoosyncJson(env, ['release', id, '--leader', '--force', '--yes']);
    assert.equal(done.kind, 'leader');
    assert.equal(done.deleted, leader.path);
    assert.equal(await within(leader.rescinded, 10_000, 'rescinded'), 'node-deleted');
    const successor = await within(next, 10_000, 'the next leader');
    assert.ok(successor.fencingToken > leader.fencingToken);
    await successor.rescind();
    assert.equal((await zoosyncJson(env, ['release', id, '--leader', '--force', '--yes'], 1)).reason, 'no leader');
  } finally {
    await env.finish();
  }
});

test('watch prints one JSON line per change and ends cleanly on SIGINT; --for ends it too', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  let child: ChildProcess | undefined;
  try {
    const id = uniqueId('watched');
    child = spawn(process.execPath, [CLI, 'watch', id, '--json', '--for', '60000'], { env: childEnv({ ZK_HOSTS: env.hosts }), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const nextView = async (what: string): Promise<Out> => parse((await within(lines.next(), 15_000, what)).value as string);
    // The parent's creation is a change of its own (a view still free): wait for the view that differs.
    const untilView = async (state: string, what: string): Promise<Out> => {
      for (let i = 0; i < 5; i++) {
        const view = await nextView(what);
        if (view.state === state) return view;
      }
      assert.fail(`${what}: no view in state ${state}`);
    };
    assert.equal((await nextView('the first view')).state, 'free');
    const lock = await regionTimedLock(id, { session: env.session(), holdForMs: 10_000 });
    const held = await untilView('held', 'the view with a holder');
    assert.equal(held.holder.fencingToken, lock.fencingToken.toString());
    assert.equal(held.id, id);
    await lock.unlock();
    assert.equal((await untilView('free', 'the view after unlock')).holder, null);
    child.kill('SIGINT');
    assert.equal(await within(exited, 15_000, 'watch to exit'), 0);

    const leaderId = uniqueId('watched-leader');
    const leader = await regionLeader(leaderId, { session: env.session(), data: 'here' });
    const r = await zoosync(['watch', leaderId, '--leader', '--json', '--for', '1500'], { ZK_HOSTS: env.hosts });
    assert.equal(r.code, 0, r.stderr);
    const first = parse(r.stdout.split('\n')[0]!);
    assert.equal(first.state, 'led');
    assert.equal(first.leader.data, 'here');
    await leader.rescind();
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await env.finish();
  }
});

test('doctor: reachability, version, mode, negotiated timeout and clock offset per host; a dead host is a problem', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const report = await zoosyncJson(env, ['doctor', '--session-timeout', '4000']);
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.chroot, env.root);
    assert.equal(report.hosts.length, 1);
    const h = must(report.hosts[0], 'the host');
    assert.equal(h.reach.reachable, true);
    assert.equal(h.server.whitelisted, true, 'the harness whitelists the four-letter words');
    assert.match(h.server.version, /^\d+\.\d+\.\d+/);
    assert.ok(['standalone', 'leader', 'follower', 'observer'].includes(h.server.mode), h.server.mode);
    assert.equal(h.session.ok, true);
    assert.equal(h.session.requestedTimeoutMs, 4000);
    assert.ok(Number.isInteger(h.session.negotiatedTimeoutMs) && h.session.negotiatedTimeoutMs > 0);
    // Server and client share this machine's clock: the offset is the measurement's error only.
    assert.ok(Math.abs(h.session.clock.offsetMs) <= h.session.clock.uncertaintyMs + 1000, JSON.stringify(h.session.clock));
    assert.deepEqual(report.auth, { schemes: [], status: 'none' });
    assert.equal(report.tls.enabled, false);

    const [dead] = await freePorts(1);
    const [hostList, ...chroot] = env.hosts.split('/');
    const mixed = await zoosync(['doctor', '--json', '--hosts', `127.0.0.1:${dead},${hostList}/${chroot.join('/')}`], {});
    assert.equal(mixed.code, 1, mixed.stderr);
    const bad = parse(mixed.stdout);
    assert.equal(bad.ok, false);
    assert.equal(bad.hosts[0]?.reach.reachable, false);
    assert.match(bad.problems[0] ?? '', new RegExp(`^127\\.0\\.0\\.1:${dead}: unreachable`));
    assert.equal(bad.hosts[1]?.session.ok, true, 'the live host is still examined');
    const text = await zoosync(['doctor'], { ZK_HOSTS: env.hosts });
    assert.equal(text.code, 0);
    assert.match(text.stdout, /ok: no problem found/);
  } finally {
    await env.finish({ strict: true });
  }
});

test('doctor over TLS with a client certificate and digest auth: both reported; an untrusted CA or a missing certificate is a problem', async (t) => {
  if (!needsOwnServers(t)) return;
  const pki = await makeTestPki();
  const server = await startStandalone({ tls: { pki, clientAuth: 'need' } });
  try {
    const hosts = server.secureConnectString;
    const tlsFlags = ['--tls-ca', pki.ca, '--tls-cert', pki.client.cert, '--tls-key', pki.client.key];
    const good = await zoosync(['doctor', '--json', '--hosts', hosts, ...tlsFlags, '--auth', 'digest:ops:secret']);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const report = parse(good.stdout);
    assert.deepEqual(report.tls, { enabled: true, clientCertificate: true });
    assert.deepEqual(report.auth, { schemes: ['digest'], status: 'accepted' });
    const h = must(report.hosts[0], 'the host');
    assert.equal(h.reach.tls.authorized, true);
    assert.match(h.reach.tls.protocol, /^TLSv1\.[23]$/);
    assert.equal(h.session.ok, true);
    assert.ok('offsetMs' in h.session.clock, JSON.stringify(h.session.clock));
    assert.equal(h.server.mode, 'standalone', 'the four-letter words are asked over TLS too');

    const untrusted = await zoosync(['doctor', '--json', '--hosts', hosts, '--tls-ca', pki.otherCa, '--tls-cert', pki.client.cert, '--tls-key', pki.client.key]);
    assert.equal(untrusted.code, 1);
    assert.match(parse(untrusted.stdout).problems[0] ?? '', /not signed by a CA we trust/);
    const noCert = await zoosync(['doctor', '--json', '--hosts', hosts, '--tls-ca', pki.ca, '--connect-timeout', '3000']);
    assert.equal(noCert.code, 1, noCert.stdout);
    assert.equal(parse(noCert.stdout).ok, false);
    assert.match(parse(noCert.stdout).problems[0] ?? '', /refused our client certificate/);
  } finally {
    await server.stop();
  }
});

test('usage errors exit 2 naming the flag or command, before any I/O; an unreachable server exits 4', async () => {
  const [dead] = await freePorts(1);
  // Independent runs, started together: each is a Node start-up, which is slow on a busy machine.
  const [unknownCommand, unknownFlag, wrongCommand, badNumber, badHosts, badNamespace, missingId, help, unreachable] = await Promise.all([
    zoosync(['lokcs']),
    zoosync(['locks', '--frob']),
    zoosync(['locks', '--force']),
    zoosync(['watch', 'x', '--for', 'soon', '--json']),
    zoosync(['locks'], { ZK_HOSTS: 'not a host' }),
    zoosync(['locks', '--namespace', 'a//b']),
    zoosync(['release']),
    zoosync(['--help']),
    zoosync(['locks', '--json', '--hosts', `127.0.0.1:${dead}`, '--connect-timeout', '1000']),
  ]);
  assert.equal(unknownCommand.code, 2);
  assert.match(unknownCommand.stderr, /unknown command "lokcs"/);
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.stderr, /unknown flag --frob/);
  assert.equal(wrongCommand.code, 2);
  assert.match(wrongCommand.stderr, /--force is not a flag of "locks"/);
  assert.equal(badNumber.code, 2);
  assert.equal(parse(badNumber.stdout).exitCode, 2);
  assert.match(parse(badNumber.stdout).error.message, /--for/);
  assert.equal(badHosts.code, 2);
  assert.match(badHosts.stderr, /ZK_HOSTS/);
  assert.equal(badNamespace.code, 2);
  assert.match(badNamespace.stderr, /--namespace/);
  assert.equal(missingId.code, 2);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /exit codes: 0 ok/);
  assert.equal(unreachable.code, 4, unreachable.stderr);
  assert.equal(parse(unreachable.stdout).error.code, 'ZOOSYNC_CONNECT_TIMEOUT');
});
