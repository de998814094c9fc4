// The published package as consumers see it: `npm pack`, install the tarball into fresh ESM and
// CommonJS projects, import / require it there, and type-check consumer files with the repo's tsc
// under moduleResolution node16/nodenext (ESM .mts and CommonJS .cts) and bundler; `zoosync/testing` too.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSC = join(REPO, 'node_modules/.bin/tsc');

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout: 120_000, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

const write = (path: string, text: string): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

const USE = `
const s: Session = new Session({ hosts: '127.0.0.1:2181' });
export async function use(): Promise<bigint> {
  const lock: Lock = await regionLock('orders/42', { session: s });
  try {
    return lock.fencingToken;
  } finally {
    await lock.unlock();
  }
}
export const isErr = (e: unknown): boolean => e instanceof ZoosyncError && typeof e.code === 'string';
export const close: () => Promise<void> = () => s.close();
`;
const KIT = `
export async function kit(): Promise<boolean> {
  const server: ZkServer = await startStandalone({ startTimeoutMs: 30_000 });
  const root: TestRoot = await testRoot(server.connectString, { name: 'kit' });
  const history = new History();
  new FencedStore(history).write('w1', { key: 'k', token: 1n, value: 1 });
  await root.assertEmpty();
  await stopAll();
  return checkHistory(history).ok;
}
`;
const CONSUMER = `import { regionLock, Session, ZoosyncError, type Lock } from 'zoosync';
import { checkHistory, FencedStore, History, startStandalone, stopAll, testRoot, type TestRoot, type ZkServer } from 'zoosync/testing';
${USE}${KIT}`;

const RUNTIME_CHECK = (loaded: string): string => `
if (typeof regionLock !== 'function') throw new Error('regionLock is ' + typeof regionLock);
if (typeof Session !== 'function') throw new Error('Session is ' + typeof Session);
const s = new Session({ hosts: '127.0.0.1:2181' });
if (!(s instanceof Session)) throw new Error('not a Session');
if (typeof kit.startStandalone !== 'function' || typeof kit.checkHistory !== 'function') throw new Error('zoosync/testing is incomplete');
s.close().then(() => console.log('${loaded} ok'), (e) => { console.error(e); process.exitCode = 1; });
`;

test('npm pack installs into ESM and CommonJS projects, loads, and type-checks (node16, nodenext, bundler)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'zoosync-pack-'));
  try {
    await sh('npm', ['pack', '--silent', '--pack-destination', root], REPO);
    const tarballs = readdirSync(root).filter((f) => f.endsWith('.tgz'));
    assert.equal(tarballs.length, 1, `one tarball expected, found ${tarballs.join(', ')}`);
    const tarball = join(root, tarballs[0]!);

    const esm = join(root, 'esm');
    const cjs = join(root, 'cjs');
    write(join(esm, 'package.json'), JSON.stringify({ name: 'esm-consumer', private: true, type: 'module' }));
    write(join(cjs, 'package.json'), JSON.stringify({ name: 'cjs-consumer', private: true, type: 'commonjs' }));
    const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', tarball];
    await Promise.all([sh('npm', install, esm), sh('npm', install, cjs)]);

    write(join(esm, 'main.js'), `import { regionLock, Session } from 'zoosync';\nimport * as kit from 'zoosync/testing';\n${RUNTIME_CHECK('esm')}`);
    write(join(cjs, 'main.js'), `const { regionLock, Session } = require('zoosync');\nconst kit = require('zoosync/testing');\n${RUNTIME_CHECK('cjs')}`);
    const [esmOut, cjsOut] = await Promise.all([
      sh(process.execPath, ['main.js'], esm),
      sh(process.execPath, ['main.js'], cjs),
    ]);
    assert.equal(esmOut.trim(), 'esm ok');
    assert.equal(cjsOut.trim(), 'cjs ok');

    // Type-check consumer files against the installed package (its .d.ts files too: no skipLibCheck).
    write(join(esm, 'consumer.mts'), CONSUMER);
    write(join(esm, 'consumer.cts'), CONSUMER);
    write(join(esm, 'consumer.ts'), CONSUMER);
    const base = {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      lib: ['ES2022', 'ESNext.Disposable'],
      types: ['node'],
      typeRoots: [join(REPO, 'node_modules/@types')],
    };
    const configs: Record<string, { compilerOptions: object; files: string[] }> = {
      // module node16 models Node 16, which cannot require() ESM: ESM consumers only.
      'tsconfig.node16.json': { compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, files: ['consumer.mts'] },
      // module node20 / nodenext (TypeScript >= 5.8/5.9) model require(esm): CommonJS consumers too.
      'tsconfig.node20.json': { compilerOptions: { ...base, module: 'node20', moduleResolution: 'node16' }, files: ['consumer.mts', 'consumer.cts'] },
      'tsconfig.nodenext.json': { compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['consumer.mts', 'consumer.cts'] },
      'tsconfig.bundler.json': { compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' }, files: ['consumer.ts'] },
    };
    for (const [name, cfg] of Object.entries(configs)) write(join(esm, name), JSON.stringify(cfg, null, 2));
    await Promise.all(Object.keys(configs).map((name) => sh(TSC, ['-p', name], esm)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
