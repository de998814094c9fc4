import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  DEFAULT_REGION_LOCK_NAMESPACE,
  MAX_ID_BYTES,
  MAX_NAMESPACE_BYTES,
  MAX_PATH_BYTES,
  REGION_LEADER_ROOT,
  basename,
  checkBytes,
  idToString,
  joinPath,
  parentOf,
  regionLeaderPath,
  regionLockPath,
  validateNamespace,
  validatePath,
} from '../../src/wire/paths.js';

const isArg = (argument: string, message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(e)}`);
  assert.equal(e.argument, argument);
  assert.equal(e.code, 'ZOOSYNC_INVALID_ARGUMENT');
  assert.match(e.message, message);
  assert.ok(e.message.startsWith(`${argument}: `));
  return true;
};

const SEED_ID = '/com/hailocab/service/SERVICE_NAME/foo/bar';

test('constants', () => {
  assert.equal(DEFAULT_REGION_LOCK_NAMESPACE, 'sync/regionlock');
  assert.equal(REGION_LEADER_ROOT, '/sync/regionleader');
});

test('validatePath accepts what ZooKeeper accepts', () => {
  for (const p of [
    '/',
    '/a',
    '/a/b/c',
    '/sync/regionlock/#com#hailocab',
    '/a/.b',
    '/a/b.',
    '/a/...',
    '/a/.../b',
    '/with space/ünïcödé/日本',
    '/a/\u00a0',
    '/zookeeperx',
    '/a/zookeeper',
  ]) {
    assert.equal(validatePath(p, 'path'), p);
  }
});

test('validatePath rejects each ZooKeeper rule, naming the argument and the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /path is empty/],
    ['a/b', /"a\/b" must start with "\/"/],
    ['/a/', /"\/a\/" must not end with "\/"/],
    ['/a//b', /"\/a\/\/b" has an empty segment \("\/\/"\)/],
    ['//a', /empty segment/],
    ['/a/\u0000b', /NUL character at index 3/],
    ['/.', /relative segment "\."/],
    ['/a/./b', /relative segment "\."/],
    ['/a/..', /relative segment "\.\."/],
    ['/../a', /relative segment "\.\."/],
    ['/a\u0001', /forbidden character U\+0001 at index 2/],
    ['/a\u001f', /U\+001F/],
    ['/a\u007f', /U\+007F/],
    ['/a\u009f', /U\+009F/],
    ['/a\ud800', /U\+D800/],
    ['/a\ue000', /U\+E000/], // private use
    ['/a\uf8ff', /U\+F8FF/],
    ['/a\ufff0', /U\+FFF0/],
    ['/a\uffff', /U\+FFFF/],
    ['/emoji\u{1F600}', /U\+D83D at index 6/], // outside the BMP = a surrogate pair
    ['/zookeeper', /"\/zookeeper" is under "\/zookeeper", which ZooKeeper reserves/],
    ['/zookeeper/quota', /reserves/],
  ];
  for (const [p, message] of cases) {
    assert.throws(() => validatePath(p, 'options.root'), isArg('options.root', message), JSON.stringify(p));
  }
  assert.throws(() => validatePath(42 as unknown as string, 'p'), isArg('p', /must be a string, got number/));
});

test('idToString accepts strings and UTF-8 bytes', () => {
  assert.equal(idToString('orders/42'), 'orders/42');
  assert.equal(idToString(new TextEncoder().encode('ördér/42')), 'ördér/42');
  assert.equal(idToString(Buffer.from(SEED_ID)), SEED_ID);
  assert.equal(idToString(Buffer.from([0xef, 0xbb, 0xbf, 0x61])), '\ufeffa', 'a BOM is kept, as Go keeps it');
});

test('idToString rejects bad types, bad UTF-8 and blanks', () => {
  assert.throws(() => idToString(Buffer.from([0x61, 0xff])), isArg('id', /not valid UTF-8/));
  assert.throws(() => idToString(Buffer.from([0xc3]), 'leaderId'), isArg('leaderId', /not valid UTF-8/));
  assert.throws(() => idToString(42 as unknown as string), isArg('id', /string or Uint8Array, got number/));
  assert.throws(() => idToString(null as unknown as string), isArg('id', /got null/));
  assert.throws(() => idToString(undefined as unknown as string), isArg('id', /got undefined/));
  assert.throws(() => idToString({} as unknown as string), isArg('id', /got Object/));
  assert.throws(() => idToString([1] as unknown as string), isArg('id', /got Array/));
  assert.throws(() => idToString(''), isArg('id', /must not be blank/));
  assert.throws(() => idToString(' \t\n'), isArg('id', /must not be blank/));
  assert.throws(() => idToString(new Uint8Array(0)), isArg('id', /must not be blank/));
});

test('validateNamespace strips slashes and validates', () => {
  assert.equal(validateNamespace('sync/regionlock'), 'sync/regionlock');
  assert.equal(validateNamespace('/com.hailocab.service.foo/'), 'com.hailocab.service.foo');
  assert.equal(validateNamespace('//a/b//'), 'a/b');
  assert.throws(() => validateNamespace(''), isArg('namespace', /must not be blank/));
  assert.throws(() => validateNamespace('///'), isArg('namespace', /must not be blank/));
  assert.throws(() => validateNamespace('  '), isArg('namespace', /must not be blank/));
  assert.throws(() => validateNamespace(undefined), isArg('namespace', /must be a string, got undefined/));
  assert.throws(() => validateNamespace(7), isArg('namespace', /got number/));
  assert.throws(() => validateNamespace('a//b'), isArg('namespace', /empty segment/));
  assert.throws(() => validateNamespace('a/../b'), isArg('namespace', /relative segment/));
  assert.throws(() => validateNamespace('zookeeper'), isArg('namespace', /reserves/));
  assert.throws(() => validateNamespace('a\u0000'), isArg('namespace', /NUL/));
});

test('regionLockPath is Go constructLockPath', () => {
  assert.equal(
    regionLockPath(DEFAULT_REGION_LOCK_NAMESPACE, Buffer.from(SEED_ID)),
    '/sync/regionlock/#com#hailocab#service#SERVICE_NAME#foo#bar',
  );
  assert.equal(regionLockPath('sync/regionlock', SEED_ID), '/sync/regionlock/#com#hailocab#service#SERVICE_NAME#foo#bar');
  assert.equal(regionLockPath('svc', 'orders/42'), '/svc/orders#42');
  assert.equal(regionLockPath('svc', 'a#b'), '/svc/a#b');
  assert.equal(regionLockPath('svc', '//'), '/svc/##', 'slashes never make "//"');
  assert.equal(regionLockPath('svc', 'zookeeper'), '/svc/zookeeper', 'reserved only at the top');
  assert.equal(regionLockPath('/svc/', 'x'), '/svc/x');
});

test('regionLockPath rejects bad ids and namespaces before any I/O', () => {
  assert.throws(() => regionLockPath('svc', ''), isArg('id', /blank/));
  assert.throws(() => regionLockPath('svc', '   '), isArg('id', /blank/));
  assert.throws(() => regionLockPath('svc', '..'), isArg('id', /relative segment "\.\."/));
  assert.throws(() => regionLockPath('svc', '.'), isArg('id', /relative segment "\."/));
  assert.throws(() => regionLockPath('svc', 'a\u0000b'), isArg('id', /NUL character/));
  assert.throws(() => regionLockPath('svc', 'tab\there'), isArg('id', /U\+0009/));
  assert.throws(() => regionLockPath('svc', Buffer.from([0xff])), isArg('id', /UTF-8/));
  assert.throws(() => regionLockPath('svc', 5 as unknown as string), isArg('id', /got number/));
  assert.throws(() => regionLockPath('', 'x'), isArg('namespace', /blank/));
  assert.throws(() => regionLockPath('a//b', 'x'), isArg('namespace', /empty segment/));
  assert.throws(() => regionLockPath('zookeeper', 'x'), isArg('namespace', /reserves/));
});

test('regionLeaderPath nests ids as Go did', () => {
  assert.equal(regionLeaderPath('billing/cron'), '/sync/regionleader/billing/cron');
  assert.equal(regionLeaderPath('a#b'), '/sync/regionleader/a#b');
  assert.equal(regionLeaderPath('zookeeper'), '/sync/regionleader/zookeeper');
  assert.equal(regionLeaderPath(Buffer.from('x/y')), '/sync/regionleader/x/y');
  // Go: fmt.Sprintf("/sync/regionleader/%v", SEED_ID) = "/sync/regionleader//com/..." which
  // ZooKeeper rejects; we drop the one leading "/" so the seed's example works.
  assert.equal(regionLeaderPath(SEED_ID), '/sync/regionleader/com/hailocab/service/SERVICE_NAME/foo/bar');
});

test('regionLeaderPath rejects bad ids', () => {
  assert.throws(() => regionLeaderPath(''), isArg('id', /blank/));
  assert.throws(() => regionLeaderPath(' '), isArg('id', /blank/));
  assert.throws(() => regionLeaderPath('/'), isArg('id', /blank/));
  assert.throws(() => regionLeaderPath('//a'), isArg('id', /empty segment/));
  assert.throws(() => regionLeaderPath('a//b'), isArg('id', /empty segment/));
  assert.throws(() => regionLeaderPath('a/'), isArg('id', /must not end with "\/"/));
  assert.throws(() => regionLeaderPath('..'), isArg('id', /relative segment "\.\."/));
  assert.throws(() => regionLeaderPath('a/./b'), isArg('id', /relative segment "\."/));
  assert.throws(() => regionLeaderPath('a\u0000'), isArg('id', /NUL/));
  assert.throws(() => regionLeaderPath({} as unknown as string), isArg('id', /got Object/));
});

test('joinPath, parentOf, basename', () => {
  assert.equal(joinPath('/', 'a'), '/a');
  assert.equal(joinPath('/a', 'b'), '/a/b');
  assert.equal(joinPath('/sync/regionlock/x', '_c_0-lock-0000000001'), '/sync/regionlock/x/_c_0-lock-0000000001');
  assert.throws(() => joinPath('a', 'b'), isArg('parent', /absolute path/));
  assert.throws(() => joinPath('/a', ''), isArg('child', /non-empty relative name/));
  assert.throws(() => joinPath('/a', '/b'), isArg('child', /non-empty relative name/));

  assert.equal(parentOf('/a/b/c'), '/a/b');
  assert.equal(parentOf('/a'), '/');
  assert.throws(() => parentOf('/'), isArg('path', /root "\/" has no parent/));
  assert.throws(() => parentOf('a/b'), isArg('path', /absolute path/));

  assert.equal(basename('/a/b/lock-0000000001'), 'lock-0000000001');
  assert.equal(basename('/a'), 'a');
  assert.equal(basename('/'), '');
  assert.equal(basename('lock-0000000001'), 'lock-0000000001');
  for (const p of ['/a', '/a/b', '/x/y/z']) assert.equal(joinPath(parentOf(p), basename(p)), p);
});

test('the length limits are well under the server\'s 1 MiB packet limit', () => {
  assert.equal(MAX_ID_BYTES, 1024);
  assert.equal(MAX_NAMESPACE_BYTES, 512);
  assert.equal(MAX_PATH_BYTES, 2048);
});

test('checkBytes counts UTF-8 bytes, not UTF-16 units', () => {
  assert.equal(checkBytes('a'.repeat(10), 10, 'x'), 'a'.repeat(10));
  assert.throws(() => checkBytes('a'.repeat(11), 10, 'x'), isArg('x', /^x: must be at most 10 bytes of UTF-8, got 11 bytes$/));
  assert.equal(checkBytes('日日日', 9, 'x'), '日日日');
  assert.throws(() => checkBytes('日日日日', 10, 'x'), isArg('x', /at most 10 bytes of UTF-8, got 12 bytes/));
  assert.throws(() => checkBytes('\u{1F600}'.repeat(3), 10, 'x'), isArg('x', /got 12 bytes/), 'a surrogate pair is 4 bytes');
});

test('idToString refuses ids over MAX_ID_BYTES of UTF-8, strings and bytes alike', () => {
  assert.equal(idToString('i'.repeat(MAX_ID_BYTES)).length, MAX_ID_BYTES);
  assert.equal(idToString(Buffer.alloc(MAX_ID_BYTES, 0x61)).length, MAX_ID_BYTES);
  assert.throws(() => idToString('i'.repeat(MAX_ID_BYTES + 1)), isArg('id', /at most 1024 bytes of UTF-8, got 1025 bytes/));
  // 342 characters, 1026 bytes: the wire size counts, not the string length.
  assert.throws(() => idToString('日'.repeat(342), 'leaderId'), isArg('leaderId', /at most 1024 bytes of UTF-8, got 1026 bytes/));
  assert.throws(() => idToString(Buffer.alloc(MAX_ID_BYTES + 1, 0x61)), isArg('id', /at most 1024 bytes of UTF-8, got 1025 bytes/));
  // Over the limit is refused before the bytes are decoded.
  assert.throws(() => idToString(new Uint8Array(2 * 1024 * 1024).fill(0xff)), isArg('id', /got 2097152 bytes/));
  assert.throws(() => idToString(' '.repeat(2 * 1024 * 1024)), isArg('id', /got 2097152 bytes/));
});

test('validateNamespace refuses namespaces over MAX_NAMESPACE_BYTES, counted after stripping "/"', () => {
  const n = 'n'.repeat(MAX_NAMESPACE_BYTES);
  assert.equal(validateNamespace(`/${n}/`), n);
  assert.throws(() => validateNamespace(`${n}x`), isArg('namespace', /at most 512 bytes of UTF-8, got 513 bytes/));
  assert.throws(() => validateNamespace('ü'.repeat(257)), isArg('namespace', /got 514 bytes/));
  assert.throws(() => validateNamespace(`${n}x`, 'ZOOSYNC_NAMESPACE'), isArg('ZOOSYNC_NAMESPACE', /at most 512 bytes/));
  assert.throws(() => validateNamespace('a//b', 'ZOOSYNC_NAMESPACE'), isArg('ZOOSYNC_NAMESPACE', /empty segment/));
  // A long run of "/" inside is refused in linear time (the old /\/+$/ strip was quadratic on it).
  const t0 = performance.now();
  assert.throws(() => validateNamespace(`a${'/'.repeat(100_000)}a`), isArg('namespace', /got 100002 bytes/));
  assert.ok(performance.now() - t0 < 500, `took ${performance.now() - t0} ms`);
});

test('regionLockPath and regionLeaderPath refuse over-long ids and namespaces', () => {
  assert.throws(() => regionLockPath('svc', 'x'.repeat(MAX_ID_BYTES + 1)), isArg('id', /at most 1024 bytes/));
  assert.throws(() => regionLockPath('n'.repeat(MAX_NAMESPACE_BYTES + 1), 'x'), isArg('namespace', /at most 512 bytes/));
  assert.throws(() => regionLeaderPath('x'.repeat(MAX_ID_BYTES + 1)), isArg('id', /at most 1024 bytes/));
  const longest = regionLockPath('n'.repeat(MAX_NAMESPACE_BYTES), '/'.repeat(MAX_ID_BYTES));
  assert.ok(Buffer.byteLength(longest) < MAX_PATH_BYTES, 'the longest lock path is still a short packet');
});

test('regionLeaderPath refuses an id that would plant a contender-named node in another election', () => {
  const guid = '0123456789abcdef0123456789abcdef';
  const cases: Array<[string, string]> = [
    ['billing/lock-0000000000', 'billing'],
    ['/billing/lock-0000000000', 'billing'],
    [`billing/_c_${guid}-lock-0000000000`, 'billing'],
    ['billing/lock--000000005', 'billing'],
    ['billing/lock--2147483648', 'billing'],
    ['a/b/lock-0000000001', 'a/b'],
    ['a/lock-0000000001/c', 'a'],
  ];
  for (const [id, election] of cases) {
    assert.throws(
      () => regionLeaderPath(id),
      isArg('id', new RegExp(`is named like an election contender \\(lock-<seq>\\); its node would block the election of "${election}"`)),
      id,
    );
  }
  // Names of another shape are not counted as contenders, so they are harmless.
  for (const id of [
    'lock-0000000000',
    'billing/x-0000000000',
    'billing/lock-1',
    'billing/lock-0000000000x',
    'billing/mylock-0000000000',
    `billing/_c_${guid}-x-0000000000`,
    'billing/cron',
  ]) {
    assert.equal(regionLeaderPath(id), `/sync/regionleader/${id}`, id);
  }
  assert.equal(regionLockPath('svc', 'billing/lock-0000000000'), '/svc/billing#lock-0000000000', 'lock ids do not nest');
});
