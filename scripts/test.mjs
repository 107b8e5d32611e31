#!/usr/bin/env node
// `npm test`: install what is missing, build, then run every compiled test file with
// node's test runner. `--unit` runs only unit tests (src/), skipping test/ suites.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, ensureApt, ensureNpm, root, say } from './ensure.mjs';

const unitOnly = process.argv.includes('--unit');
ensureNpm();
// kubectl drives the end-to-end tests; Debian's package provides it where it is missing.
if (!unitOnly && spawnSync('sh', ['-c', 'command -v kubectl']).status !== 0) ensureApt(['kubectl']);
build();

function find(dir, out = []) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) find(p, out);
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const dirs = unitOnly ? ['dist/src'] : ['dist/src', 'dist/test', 'dist/bench'];
const files = dirs.flatMap((d) => find(join(root, d))).sort();
say(`running ${files.length} test files`);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files.map((f) => relative(root, f))], { stdio: 'inherit', cwd: root, env: { ...process.env, KITE_ROOT: root } });
process.exit(r.status ?? 1);
