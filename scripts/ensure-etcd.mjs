#!/usr/bin/env node
// Makes sure a real etcd (Debian `etcd-server`, 3.4.x) is on PATH, installing it with apt
// when it is missing. Runs unattended: as root on a fresh Debian 12, CI=true, no stdin.
// Prints every step it takes; exits non-zero with a reason when it cannot succeed.
import { spawnSync } from 'node:child_process';

const PACKAGES = ['etcd-server', 'etcd-client'];

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function run(cmd, args) {
  process.stderr.write(`ensure-etcd: $ ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function version(path) {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return (r.stdout || '').split('\n')[0].trim();
}

function main() {
  const found = which('etcd');
  if (found) {
    process.stderr.write(`ensure-etcd: found ${found} (${version(found)})\n`);
    return;
  }
  if (process.platform !== 'linux' || !which('apt-get')) {
    throw new Error('etcd is not on PATH and apt-get is unavailable: install etcd 3.4+ by hand');
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`etcd is not on PATH; installing it needs root: apt-get install -y ${PACKAGES.join(' ')}`);
  }
  process.stderr.write('ensure-etcd: etcd not on PATH, installing it with apt\n');
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES]);
  const installed = which('etcd');
  if (!installed) throw new Error('etcd still not on PATH after installing ' + PACKAGES.join(' '));
  process.stderr.write(`ensure-etcd: installed ${installed} (${version(installed)})\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`ensure-etcd: ${err instanceof Error ? err.message : err}\n`);
  process.exit(1);
}
