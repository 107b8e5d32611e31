#!/usr/bin/env node
// `npm run up`: install what is missing, build, and run Kite in the foreground on the
// embedded store, writing an admin kubeconfig to ~/.kube/kite.yaml.
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { build, ensureNpm, root, say } from './ensure.mjs';

ensureNpm();
build();
const kubeconfig = process.env.KITE_KUBECONFIG ?? join(homedir(), '.kube', 'kite.yaml');
say(`starting kite server; kubeconfig will be written to ${kubeconfig}`);
process.stderr.write(`\nWhen it is ready, in another shell:\n  export KUBECONFIG=${kubeconfig}\n  kubectl get namespaces\n\nStop it with Ctrl-C.\n\n`);
const child = spawn(process.execPath, [join(root, 'bin', 'kite'), 'server', '--write-kubeconfig', kubeconfig, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
