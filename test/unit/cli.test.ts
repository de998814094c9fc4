/** The CLI's pure parts: the command line, four-letter-word replies, durations and JSON. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msFlag, parseCommandLine, UsageError } from '../../src/cli/args.js';
import { dataField, formatDuration, jsonLine } from '../../src/cli/output.js';
import { parseServerInfo } from '../../src/cli/probe.js';

const usage = (argv: string[], pattern: RegExp) => assert.throws(() => parseCommandLine(argv), (e: unknown) => e instanceof UsageError && pattern.test(e.message));

test('the command line: commands, positionals, per-command flags, each mistake named', () => {
  assert.deepEqual(parseCommandLine(['release', 'orders/42', '--force', '--yes', '--json']), {
    command: 'release',
    positionals: ['orders/42'],
    flags: { force: true, yes: true, json: true },
  });
  assert.equal(parseCommandLine(['--hosts', 'h:1', 'locks']).flags.hosts, 'h:1', 'flags may come before the command');
  assert.equal(parseCommandLine(['help']).command, undefined);
  assert.equal(parseCommandLine(['--help']).flags.help, true);
  assert.equal(parseCommandLine(['watch', '--help']).command, 'watch', '--help needs no <id>');
  usage([], /no command/);
  usage(['lokcs'], /unknown command "lokcs"/);
  usage(['locks', '--frob'], /unknown flag --frob/);
  usage(['locks', '--force'], /--force is not a flag of "locks"/);
  usage(['doctor', '--leader'], /--leader is not a flag of "doctor"/);
  usage(['watch'], /"watch" needs <id>/);
  usage(['watch', 'a', 'b'], /only <id>, got "b"/);
  usage(['locks', 'x'], /takes no arguments, got "x"/);
  usage(['locks', '--hosts'], /--hosts/);
});

test('millisecond flags are positive whole numbers', () => {
  assert.equal(msFlag({ for: '1500' }, 'for'), 1500);
  assert.equal(msFlag({}, 'for'), undefined);
  for (const bad of ['0', '-1', '1.5', 'soon', '', '99999999999']) {
    assert.throws(() => msFlag({ for: bad }, 'for'), (e: unknown) => e instanceof UsageError && /--for/.test(e.message), bad);
  }
});

test('srvr and mntr replies: version and mode, a refused word, a server not serving', () => {
  const srvr = 'Zookeeper version: 3.8.0-abc, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.5/3\nMode: follower\nNode count: 5\n';
  assert.deepEqual(parseServerInfo('srvr', srvr), { word: 'srvr', whitelisted: true, version: '3.8.0-abc, built on 2024-12-29 17:54 UTC', mode: 'follower' });
  assert.deepEqual(parseServerInfo('mntr', 'zk_version\t3.9.2-x, built on y\nzk_server_state\tleader\n'), { word: 'mntr', whitelisted: true, version: '3.9.2-x, built on y', mode: 'leader' });
  assert.deepEqual(parseServerInfo('srvr', 'srvr is not executed because it is not in the whitelist.\n'), { word: 'srvr', whitelisted: false });
  assert.equal(parseServerInfo('srvr', 'This ZooKeeper instance is not currently serving requests\n').mode, 'not serving');
  assert.match(parseServerInfo('srvr', 'garbage').error ?? '', /unexpected reply/);
});

test('durations, data and JSON for people and scripts', () => {
  assert.deepEqual(['850ms', '12.3s', '4m05s', '3h12m', '2d04h', '-1.5s'], [850, 12_345, 245_000, 11_520_000, 187_200_000, -1500].map(formatDuration));
  assert.equal(jsonLine({ token: 2n ** 63n, gone: undefined }), '{"token":"9223372036854775808"}');
  assert.deepEqual(dataField(Buffer.from('http://a:1')), { data: 'http://a:1' });
  assert.deepEqual(dataField(Buffer.from([0xff])), { dataBase64: '/w==' });
  assert.deepEqual(dataField(Buffer.alloc(0)), {});
});
