// Field descriptions for `kubectl explain`, read at run time from the JSDoc of the installed
// npm package kubernetes-types (a dependency; its text is not copied into this project).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface TypeDoc {
  description?: string;
  /** Property -> description ('' when undocumented). */
  properties: Map<string, string>;
  /** Properties declared without `?`. */
  required: string[];
}

/** Parse one kubernetes-types declaration file: interface name -> docs. */
export function parseTypeDocs(text: string): Map<string, TypeDoc> {
  const out = new Map<string, TypeDoc>();
  let pending: string | undefined;
  let current: TypeDoc | undefined;
  const re = /\/\*\*([\s\S]*?)\*\/|^[ \t]*export (?:interface|type) (\w+)|^[ \t]+(?:readonly )?(["\w$-]+)(\??):|^\}/gm;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) {
      pending = m[1].split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n').trim();
      continue;
    }
    if (m[2]) {
      current = { description: pending, properties: new Map(), required: [] };
      out.set(m[2], current);
      if (!/^[ \t]*export interface/.test(m[0])) current = undefined;
    } else if (m[3] && current) {
      const name = m[3].replace(/^"|"$/g, '');
      current.properties.set(name, pending ?? '');
      if (!m[4]) current.required.push(name);
    } else if (m[0] === '}') current = undefined;
    pending = undefined;
  }
  return out;
}

/** Schema name prefix -> declaration file in kubernetes-types. */
function fileFor(prefix: string): string | undefined {
  let m = /^io\.k8s\.api\.(\w+)\.(\w+)$/.exec(prefix);
  if (m) return `${m[1]}/${m[2]}.d.ts`;
  m = /^io\.k8s\.apiextensions-apiserver\.pkg\.apis\.apiextensions\.(\w+)$/.exec(prefix);
  if (m) return `apiextensions/${m[1]}.d.ts`;
  const fixed: Record<string, string> = {
    'io.k8s.apimachinery.pkg.apis.meta.v1': 'meta/v1.d.ts',
    'io.k8s.apimachinery.pkg.api.resource': 'api/resource.d.ts',
    'io.k8s.apimachinery.pkg.runtime': 'runtime.d.ts',
    'io.k8s.apimachinery.pkg.util.intstr': 'util/intstr.d.ts',
  };
  return fixed[prefix];
}

let packageDir: string | null | undefined;
const fileCache = new Map<string, Map<string, TypeDoc>>();

function kubernetesTypesDir(): string | null {
  if (packageDir === undefined) {
    try {
      packageDir = path.dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));
    } catch {
      packageDir = null;
    }
  }
  return packageDir;
}

/** Docs of a schema such as "io.k8s.api.apps.v1.Deployment", when kubernetes-types documents it. */
export function typeDoc(schemaName: string): TypeDoc | undefined {
  const dot = schemaName.lastIndexOf('.');
  const file = fileFor(schemaName.slice(0, dot));
  const dir = kubernetesTypesDir();
  if (!file || !dir) return undefined;
  let docs = fileCache.get(file);
  if (!docs) {
    try {
      docs = parseTypeDocs(readFileSync(path.join(dir, file), 'utf8'));
    } catch {
      docs = new Map();
    }
    fileCache.set(file, docs);
  }
  return docs.get(schemaName.slice(dot + 1));
}
