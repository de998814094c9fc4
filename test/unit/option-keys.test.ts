import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigurationError, InvalidArgumentError } from '../../src/errors.js';
import { editDistance, keysOf, knownKeys, nearestKey, unknownKeyProblem } from '../../src/option-keys.js';
import { installShutdownHandlers } from '../../src/shutdown.js';
import { optionsBag } from '../../src/validate.js';

const LOCK_KEYS = ['waitForMs', 'holdForMs', 'signal', 'session'];

test('editDistance counts insertions, deletions, substitutions and adjacent swaps', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('abc', 'abc'), 0);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('waitFor', 'waitForMs'), 2);
  assert.equal(editDistance('sesionTimeoutMs', 'sessionTimeoutMs'), 1);
  assert.equal(editDistance('hodlForMs', 'holdForMs'), 1, 'a swap of neighbours is one edit');
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('nearestKey suggests a close known key, case-insensitively, and nothing for a stranger', () => {
  assert.equal(nearestKey('waitFor', LOCK_KEYS), 'waitForMs');
  assert.equal(nearestKey('holdFor', LOCK_KEYS), 'holdForMs');
  assert.equal(nearestKey('WaitForMS', LOCK_KEYS), 'waitForMs');
  assert.equal(nearestKey('sesion', LOCK_KEYS), 'session');
  assert.equal(nearestKey('signl', LOCK_KEYS), 'signal');
  assert.equal(nearestKey('retries', LOCK_KEYS), undefined);
  assert.equal(nearestKey('x', []), undefined);
});

test('unknownKeyProblem names the nearest key, or lists the known ones', () => {
  assert.equal(unknownKeyProblem('waitFor', LOCK_KEYS), 'unknown option; did you mean waitForMs?');
  assert.equal(unknownKeyProblem('retries', LOCK_KEYS), 'unknown option; the known options are waitForMs, holdForMs, signal, session');
  assert.equal(unknownKeyProblem('x', []), 'unknown option; this call takes no options');
});

test('knownKeys throws the given error class naming "<argument>.<key>", even for an undefined value', () => {
  knownKeys({}, LOCK_KEYS);
  knownKeys({ waitForMs: 1, holdForMs: undefined, signal: undefined, session: undefined }, LOCK_KEYS);
  assert.throws(
    () => knownKeys({ waitForMs: 1, waitFor: 5000 }, LOCK_KEYS),
    (e: unknown) =>
      e instanceof InvalidArgumentError &&
      !(e instanceof ConfigurationError) &&
      e.argument === 'options.waitFor' &&
      e.message === 'options.waitFor: unknown option; did you mean waitForMs?',
  );
  assert.throws(
    () => knownKeys({ holdFor: undefined }, LOCK_KEYS),
    (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'options.holdFor' && /did you mean holdForMs\?/.test(e.message),
  );
  assert.throws(
    () => knownKeys({ sesionTimeoutMs: 5000 }, ['hosts', 'sessionTimeoutMs'], 'options', ConfigurationError),
    (e: unknown) => e instanceof ConfigurationError && e.argument === 'options.sesionTimeoutMs' && /did you mean sessionTimeoutMs\?/.test(e.message),
  );
  assert.throws(() => knownKeys({ x: 1 }, LOCK_KEYS, 'config'), { argument: 'config.x' });
});

test('keysOf lists the keys of the record the compiler checked', () => {
  const keys = keysOf<{ a?: number; b?: string }>({ a: true, b: true });
  assert.deepEqual([...keys], ['a', 'b']);
  assert.ok(Object.isFrozen(keys));
});

test('optionsBag refuses unknown keys and non-objects', () => {
  assert.deepEqual(optionsBag(undefined, LOCK_KEYS), {});
  const bag = { waitForMs: 5 };
  assert.equal(optionsBag(bag, LOCK_KEYS), bag);
  assert.throws(() => optionsBag({ waitFor: 5 }, LOCK_KEYS), { argument: 'options.waitFor' });
  assert.throws(() => optionsBag(null as unknown as object, LOCK_KEYS), { argument: 'options', message: 'options: must be an object' });
});

test('installShutdownHandlers refuses unknown keys before installing anything', () => {
  const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  assert.throws(
    () => installShutdownHandlers({ timeout: 100 } as never),
    (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'options.timeout' && /did you mean timeoutMs\?/.test(e.message),
  );
  assert.throws(() => installShutdownHandlers({ timeoutMs: -1 }), { argument: 'options.timeoutMs' });
  assert.deepEqual([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], before);
  const uninstall = installShutdownHandlers({ timeoutMs: 100, exit: false });
  uninstall();
  assert.deepEqual([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], before);
});
