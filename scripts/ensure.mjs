#!/usr/bin/env node
// Installs what is missing (npm packages, Debian packages named on the command line) and
// builds. Safe to run repeatedly: each step is skipped when already done.
// Usage: node scripts/ensure.mjs [--apt pkg[,pkg...]] [--no-build]
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const say = (m) => process.stderr.write(`[ensure] ${m}\n`);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed with ${r.status ?? r.signal}`);
}

function mtime(p) {
  try { return statSync(p).mtimeMs; } catch { return 0; }
}

export function ensureNpm() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(marker) || mtime(lock) > mtime(marker) || mtime(join(root, 'package.json')) > mtime(marker)) {
    say('installing npm packages');
    run('npm', existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund']);
  }
}

let aptUpdated = false;
export function ensureApt(pkgs) {
  const missing = pkgs.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
  if (!missing.length) return;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages (${missing.join(', ')}); run as root or install them`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    say('apt-get update');
    run('apt-get', ['update', '-qq'], { env });
    aptUpdated = true;
  }
  say(`apt-get install ${missing.join(' ')}`);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

export function build() {
  say('building (tsc)');
  const t = Date.now();
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  say(`built in ${Date.now() - t}ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const aptIdx = args.indexOf('--apt');
  ensureNpm();
  if (aptIdx >= 0) ensureApt(args[aptIdx + 1].split(',').filter(Boolean));
  if (!args.includes('--no-build')) build();
}
export { root, say, run };
