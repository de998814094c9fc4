/**
 * A root of one's own for each test (kazoo's `KazooTestHarness` chroots every test the same way):
 * a unique node under `/zoosync-test`, the chrooted connect string to hand to `Session`, and the
 * leak check that fails if the test left a node behind.
 */
import { keysOf } from '../option-keys.js';
import { nonEmptyString, optionsOf } from './args.js';
import { assertNoNodesLeft, deleteTree, zkTestRoot } from './fixtures.js';
import { withBareClient } from './zk-client.js';

/** Options for testRoot(). */
export interface TestRootOptions {
  /** Readable part of the root's name (a test's name; a `{ name }` test context works too); default `test`. */
  name?: string;
}

/** Options for TestRoot.assertEmpty(). */
export interface AssertEmptyOptions {
  /** Also count the empty lock and leader parents zoosync's reaper removes later (default false: they are allowed). */
  strict?: boolean;
  /** Paths (absolute, under the root) that may be left behind. */
  allow?: (path: string) => boolean;
}

/** One test's root on the server. */
export interface TestRoot {
  /** The root node, e.g. `/zoosync-test/orders-3fa2c1`. */
  readonly path: string;
  /** The server's connect string as given, without the root. */
  readonly connectString: string;
  /** `connectString` + `path`: give this to `new Session({ hosts })` so every node lands under the root. */
  readonly hosts: string;
  /** Throws (an `AssertionError` listing them) if any node is left under the root; removes the root either way. */
  assertEmpty(options?: AssertEmptyOptions): Promise<void>;
  /** Removes the root and everything under it, without checking (cleanup after a test that already failed). */
  remove(): Promise<void>;
  /** Same as remove(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const TEST_ROOT_OPTION_KEYS = keysOf<TestRootOptions>({ name: true });
const ASSERT_EMPTY_OPTION_KEYS = keysOf<AssertEmptyOptions>({ strict: true, allow: true });

/** Lock parents are removed by the reaper, not on unlock: the leak check allows them, empty. */
export const isEmptyLockParent = (root: string) => (path: string): boolean =>
  /^\/sync(\/regionlock|\/globallock|\/regionleader)?$/.test(path.slice(root.length)) ||
  /^\/sync\/(regionlock|globallock)\/[^/]+$/.test(path.slice(root.length)) ||
  /^\/sync\/regionleader(\/[^/]+)+$/.test(path.slice(root.length)) && !/lock-\d+$/.test(path);

/** Creates a unique root for one test on the server at `connectString` (which may carry a chroot of its own). */
export async function testRoot(connectString: string, options?: TestRootOptions): Promise<TestRoot> {
  nonEmptyString(connectString, 'connectString');
  const o = optionsOf(options, TEST_ROOT_OPTION_KEYS);
  if (o.name !== undefined) nonEmptyString(o.name, 'options.name');
  const path = zkTestRoot(o.name ?? 'test');
  await withBareClient(connectString, (c) => c.mkdirp(path));
  const remove = (): Promise<void> => deleteTree(connectString, path);
  return {
    path,
    connectString,
    hosts: `${connectString.replace(/\/+$/, '')}${path}`,
    async assertEmpty(options) {
      const a = optionsOf(options, ASSERT_EMPTY_OPTION_KEYS);
      const parents = a.strict ? () => false : isEmptyLockParent(path);
      await assertNoNodesLeft(connectString, path, (p) => parents(p) || (a.allow?.(p) ?? false));
    },
    remove,
    [Symbol.asyncDispose]: remove,
  };
}
