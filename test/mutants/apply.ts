/**
 * Makes a mutated copy of the repo: copies it (node_modules symlinked, the already built
 * `.build` copied), applies one mutant's edits to the sources, failing loudly if a search text is
 * not found exactly once, and rebuilds what changed (each edited file transpiled into `.build`,
 * or a full `tsc` with `fullBuild`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Edit, Mutant } from './list.js';

/** Directories and files of the repo a mutated copy needs. */
const COPIED = ['src', 'test', 'bench', 'demo', '.build', 'package.json', 'tsconfig.json', 'tsconfig.test.json'];

/** A search text that no longer matches (a merge changed the file): the mutant cannot be applied. */
export class StaleMutantError extends Error {
  override readonly name = 'StaleMutantError';
}

/** Applies `edit` to `text`; throws StaleMutantError unless its search text occurs exactly once. */
export function applyEdit(text: string, edit: Edit, mutant: string): string {
  const first = text.indexOf(edit.search);
  if (first < 0) throw new StaleMutantError(`mutant ${mutant}: search text not found in ${edit.file} (changed since the mutant was written?):\n  ${edit.search}`);
  if (text.indexOf(edit.search, first + 1) >= 0) throw new StaleMutantError(`mutant ${mutant}: search text occurs more than once in ${edit.file}:\n  ${edit.search}`);
  return text.slice(0, first) + edit.replace + text.slice(first + edit.search.length);
}

/** Checks every edit of `mutant` against the sources in `repo`, changing nothing; throws StaleMutantError on the first that does not apply. */
export function checkMutant(repo: string, mutant: Mutant): void {
  const texts = new Map<string, string>();
  for (const edit of mutant.edits) {
    const before = texts.get(edit.file) ?? fs.readFileSync(path.join(repo, edit.file), 'utf8');
    texts.set(edit.file, applyEdit(before, edit, mutant.name));
  }
}

/** Copies `repo` into a new temp dir (node_modules symlinked, `built` as its `.build`) and returns its path. */
export function copyRepo(repo: string, built = '.build'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoosync-mutant-'));
  for (const name of COPIED) {
    const from = path.join(repo, name === '.build' ? built : name);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, name), { recursive: true });
  }
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The copy's `.build` output path of a source file. */
const builtPath = (dir: string, file: string): string => path.join(dir, '.build', file.replace(/\.ts$/, '.js'));

/** Applies `mutant` in the copy `dir` and rebuilds: the edited files transpiled alone, or everything with `tsc` when `fullBuild`. */
export function mutate(dir: string, mutant: Mutant, fullBuild: boolean): void {
  const edited = new Map<string, string>();
  for (const edit of mutant.edits) {
    const before = edited.get(edit.file) ?? fs.readFileSync(path.join(dir, edit.file), 'utf8');
    edited.set(edit.file, applyEdit(before, edit, mutant.name));
  }
  for (const [file, text] of edited) fs.writeFileSync(path.join(dir, file), text);
  if (fullBuild) {
    execFileSync(process.execPath, [path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.test.json')], { stdio: 'inherit' });
    return;
  }
  const ts = createRequire(path.join(dir, 'package.json'))('typescript') as typeof import('typescript');
  for (const [file, text] of edited) {
    const out = ts.transpileModule(text, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, sourceMap: false },
    });
    const target = builtPath(dir, file);
    if (!fs.existsSync(target)) throw new Error(`mutant ${mutant.name}: no built file ${target} to replace (run npm run build:test first)`);
    fs.writeFileSync(target, out.outputText);
  }
}

/** Removes a copy made by copyRepo (the node_modules symlink only, never its target). */
export function removeCopy(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
