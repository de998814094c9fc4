/**
 * The seeded bugs of `npm run mutants` stay applicable: every search text still occurs exactly once
 * in src/, and every test a mutant names still exists, so a refactor cannot quietly turn a mutant
 * into one that is never run (three did, before this check).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { checkMutant } from '../mutants/apply.js';
import { MUTANTS } from '../mutants/list.js';

const repo = process.cwd();

test('every seeded bug still applies to src/ exactly where it was written', () => {
  assert.ok(MUTANTS.length >= 25, `only ${MUTANTS.length} mutants`);
  const stale: string[] = [];
  for (const mutant of MUTANTS) {
    try {
      checkMutant(repo, mutant);
    } catch (error) {
      stale.push((error as Error).message);
    }
  }
  assert.deepEqual(stale, []);
});

test('every test a seeded bug names exists, by file and by name', () => {
  const missing: string[] = [];
  for (const mutant of MUTANTS) {
    for (const ref of mutant.tests) {
      const file = path.join(repo, 'test', `${ref.file}.ts`);
      if (!fs.existsSync(file)) {
        missing.push(`${mutant.name}: no file test/${ref.file}.ts`);
        continue;
      }
      const text = fs.readFileSync(file, 'utf8').replaceAll("\\'", "'");
      for (const name of ref.names ?? []) {
        // Names built from a template (one test per recipe) are checked by their fixed tail.
        const tail = name.includes(': ') ? name.slice(name.indexOf(': ')) : name;
        if (!text.includes(name) && !text.includes(tail)) missing.push(`${mutant.name}: no test named "${name}" in test/${ref.file}.ts`);
      }
    }
  }
  assert.deepEqual(missing, []);
});
