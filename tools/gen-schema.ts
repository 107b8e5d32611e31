// Dev tool: builds src/api/schema/registry.generated.ts, the project's own table of the
// built-in Kubernetes types, from the upstream interface definitions (protobuf field
// numbers and types from generated.proto; JSON names, omitempty, pointers and inlining
// from the Go struct tags; list/patch semantics from the +markers). Only facts are kept,
// never upstream prose.
//
//   npx tsx tools/gen-schema.ts [--tag v0.32.4] [--mirror /work/.mirror]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const TAG = opt('--tag', 'v0.32.4');
const MIRROR = opt('--mirror', '/work/.mirror');
const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/api/schema/registry.generated.ts');

interface Source { repo: string; dir: string; proto: string; group: string; version: string }

const API = 'kubernetes+api', MACH = 'kubernetes+apimachinery', EXT = 'kubernetes+apiextensions-apiserver';
const apiPkgs: Array<[string, string]> = [
  ['core/v1', ''], ['apps/v1', 'apps'], ['batch/v1', 'batch'], ['autoscaling/v1', 'autoscaling'],
  ['autoscaling/v2', 'autoscaling'], ['policy/v1', 'policy'], ['networking/v1', 'networking.k8s.io'],
  ['discovery/v1', 'discovery.k8s.io'], ['coordination/v1', 'coordination.k8s.io'], ['events/v1', 'events.k8s.io'],
  ['rbac/v1', 'rbac.authorization.k8s.io'], ['storage/v1', 'storage.k8s.io'], ['scheduling/v1', 'scheduling.k8s.io'],
  ['certificates/v1', 'certificates.k8s.io'], ['node/v1', 'node.k8s.io'], ['authorization/v1', 'authorization.k8s.io'],
  ['authentication/v1', 'authentication.k8s.io'],
];
const SOURCES: Source[] = [
  ...apiPkgs.map(([dir, group]) => ({
    repo: API, dir, proto: `k8s.io.api.${dir.replace('/', '.')}`, group, version: dir.split('/')[1],
  })),
  { repo: MACH, dir: 'pkg/apis/meta/v1', proto: 'k8s.io.apimachinery.pkg.apis.meta.v1', group: 'meta.k8s.io', version: 'v1' },
  { repo: MACH, dir: 'pkg/runtime', proto: 'k8s.io.apimachinery.pkg.runtime', group: '', version: '' },
  { repo: MACH, dir: 'pkg/api/resource', proto: 'k8s.io.apimachinery.pkg.api.resource', group: '', version: '' },
  { repo: MACH, dir: 'pkg/util/intstr', proto: 'k8s.io.apimachinery.pkg.util.intstr', group: '', version: '' },
  { repo: EXT, dir: 'pkg/apis/apiextensions/v1', proto: 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1', group: 'apiextensions.k8s.io', version: 'v1' },
];

/** Proto package name -> the schema name prefix used by upstream OpenAPI (io.k8s.api.apps.v1). */
const schemaPrefix = (proto: string): string => {
  const [a, b, ...rest] = proto.split('.');
  return [b, a, ...rest].join('.').replace(/_/g, '-');
};

/** Messages whose JSON form is not an object of their proto fields. */
const SPECIAL: Record<string, string> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': 'time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': 'microtime',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Duration': 'duration',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': 'fieldsv1',
  'io.k8s.apimachinery.pkg.runtime.RawExtension': 'raw',
  'io.k8s.apimachinery.pkg.api.resource.Quantity': 'quantity',
  'io.k8s.apimachinery.pkg.api.resource.QuantityValue': 'quantity',
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'intorstring',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': 'json',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray': 'orarray',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool': 'orbool',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray': 'orstrings',
};

function git(repo: string, ...a: string[]): string {
  return execFileSync('git', ['-C', path.join(MIRROR, repo, 'repo'), ...a], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

// ---- proto parsing ----
interface ProtoField { label: string; type: string; name: string; num: number; mapKey?: string; markers: Map<string, string[]> }
interface ProtoMessage { name: string; fields: ProtoField[] }

function parseProto(text: string): ProtoMessage[] {
  const out: ProtoMessage[] = [];
  let cur: ProtoMessage | undefined;
  let markers = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const mk = /^\/\/\s*\+([\w.:-]+)(?:=(.*))?$/.exec(line);
    if (mk) {
      const list = markers.get(mk[1]) ?? [];
      list.push((mk[2] ?? '').trim());
      markers.set(mk[1], list);
      continue;
    }
    if (line.startsWith('//')) continue;
    if (line === '') { if (!cur) markers = new Map(); continue; }
    let m = /^message (\w+) \{$/.exec(line);
    if (m) { cur = { name: m[1], fields: [] }; out.push(cur); markers = new Map(); continue; }
    if (line === '}') { cur = undefined; markers = new Map(); continue; }
    if (!cur) { markers = new Map(); continue; }
    m = /^(optional|repeated|required) (\S+) (\w+) = (\d+);$/.exec(line);
    if (m) { cur.fields.push({ label: m[1], type: m[2], name: m[3], num: +m[4], markers }); markers = new Map(); continue; }
    m = /^map<(\w+), (\S+)> (\w+) = (\d+);$/.exec(line);
    if (m) { cur.fields.push({ label: 'map', mapKey: m[1], type: m[2], name: m[3], num: +m[4], markers }); markers = new Map(); continue; }
    throw new Error(`unparsed proto line in message ${cur.name}: ${line}`);
  }
  return out;
}

// ---- Go struct tag parsing ----
interface GoField { name: string; goType: string; json: string; omitempty: boolean; inline: boolean; num?: number; tags: Record<string, string> }
interface GoTypes { structs: Map<string, GoField[]>; sliceTypes: Set<string>; typeMeta: Set<string> }

function parseGo(text: string, into: GoTypes): void {
  let cur: GoField[] | undefined;
  let curName = '';
  for (const raw of text.split('\n')) {
    const m = /^type (\w+) struct \{/.exec(raw);
    if (m) { cur = []; curName = m[1]; into.structs.set(curName, cur); continue; }
    const s = /^type (\w+) \[\]\S+$/.exec(raw.trim());
    if (s && !cur) { into.sliceTypes.add(s[1]); continue; }
    if (!cur) continue;
    if (raw === '}') { cur = undefined; continue; }
    const line = raw.trim();
    if (line.startsWith('//')) continue;
    if (/^(metav1\.)?TypeMeta\s+`json:",inline"`/.test(line)) { into.typeMeta.add(curName); continue; }
    const f = /^(\S+)(?:\s+(\S+))?\s+`(.*)`/.exec(line);
    if (!f) continue;
    const tags: Record<string, string> = {};
    for (const t of f[3].matchAll(/(\w+):"([^"]*)"/g)) tags[t[1]] = t[2];
    const jsonTag = (tags.json ?? '').split(',');
    const pb = tags.protobuf?.split(',');
    cur.push({
      name: f[2] ? f[1] : f[1].replace(/^\*/, '').split('.').pop()!,
      goType: f[2] ?? f[1],
      json: jsonTag[0],
      omitempty: jsonTag.includes('omitempty'),
      inline: jsonTag.includes('inline'),
      num: pb ? Number(pb[1]) : undefined,
      tags,
    });
  }
}

// ---- generation ----
interface OutField {
  n: string; i: number; t: string;
  r?: 1; mk?: string; o?: 1; p?: 1; in?: 1; opt?: 1;
  ps?: string; pk?: string; lt?: string; lk?: string[]; mt?: string;
}
interface OutMessage { f: OutField[]; s?: string; k?: 1 }

const SCALARS = new Set(['string', 'int32', 'int64', 'bool', 'bytes', 'double', 'float', 'uint32', 'uint64']);

function main(): void {
  const messages: Record<string, OutMessage> = {};
  const packages: Array<{ proto: string; prefix: string; group: string; version: string }> = [];
  const kinds: Record<string, Record<string, string>> = {};
  const warnings: string[] = [];

  for (const src of SOURCES) {
    const prefix = schemaPrefix(src.proto);
    packages.push({ proto: src.proto, prefix, group: src.group, version: src.version });
    const protoText = git(src.repo, 'show', `${TAG}:${src.dir}/generated.proto`);
    const go: GoTypes = { structs: new Map(), sliceTypes: new Set(), typeMeta: new Set() };
    const files = git(src.repo, 'ls-tree', '--name-only', TAG, `${src.dir}/`).split('\n')
      .filter((f) => f.endsWith('.go') && !/(_test|generated\.pb|zz_generated[\w.-]*|_swagger_doc_generated|_fuzz)\.go$/.test(f));
    for (const f of files) parseGo(git(src.repo, 'show', `${TAG}:${f}`), go);

    const gv = src.group === '' ? src.version : `${src.group}/${src.version}`;
    for (const msg of parseProto(protoText)) {
      const full = `${prefix}.${msg.name}`;
      const goFields = go.structs.get(msg.name) ?? [];
      const out: OutMessage = { f: [] };
      if (SPECIAL[full]) out.s = SPECIAL[full];
      else if (go.sliceTypes.has(msg.name)) out.s = 'slice';
      if (go.typeMeta.has(msg.name)) {
        out.k = 1;
        if (src.version && msg.name !== 'TypeMeta') (kinds[gv] ??= {})[msg.name] = full;
      }
      for (const pf of msg.fields) {
        const gf = goFields.find((g) => g.num === pf.num);
        if (!gf && !out.s) warnings.push(`${full}.${pf.name}: no Go field with protobuf number ${pf.num}`);
        let t = pf.type.replace(/^\./, '');
        if (!SCALARS.has(t)) t = t.includes('.') ? schemaPrefix(t.replace(/\.(\w+)$/, '')) + '.' + t.split('.').pop() : `${prefix}.${t}`;
        const f: OutField = { n: gf ? (gf.inline ? '' : gf.json || pf.name) : pf.name, i: pf.num, t };
        if (pf.label === 'repeated') f.r = 1;
        if (pf.label === 'map') f.mk = pf.mapKey;
        if (gf?.inline) f.in = 1;
        if (!gf || gf.omitempty) f.o = 1;
        if (gf?.goType.startsWith('*')) f.p = 1;
        const mk = (k: string) => pf.markers.get(k);
        if (mk('optional')) f.opt = 1;
        const ps = gf?.tags.patchStrategy ?? mk('patchStrategy')?.[0];
        const pk = gf?.tags.patchMergeKey ?? mk('patchMergeKey')?.[0];
        if (ps) f.ps = ps;
        if (pk) f.pk = pk;
        if (mk('listType')) f.lt = mk('listType')![0];
        if (mk('listMapKey')) f.lk = mk('listMapKey');
        if (mk('mapType')) f.mt = mk('mapType')![0];
        out.f.push(f);
      }
      messages[full] = out;
    }
  }

  // Every message reference must resolve.
  for (const [name, m] of Object.entries(messages)) {
    for (const f of m.f) if (!SCALARS.has(f.t) && !messages[f.t]) warnings.push(`${name}.${f.n}: unresolved type ${f.t}`);
  }

  const lines = [
    '// GENERATED by tools/gen-schema.ts from the Kubernetes ' + TAG + ' interface definitions. Do not edit.',
    '// Facts only: JSON names, protobuf numbers and types, and list/patch semantics.',
    "import type { RegistryTable } from './table.js';",
    '',
    'export const REGISTRY: RegistryTable = {',
    `  source: ${JSON.stringify(TAG)},`,
    '  packages: [',
    ...packages.map((p) => `    ${JSON.stringify(p)},`),
    '  ],',
    '  kinds: {',
    ...Object.entries(kinds).map(([gv, ks]) => `    ${JSON.stringify(gv)}: ${JSON.stringify(ks)},`),
    '  },',
    '  messages: {',
    ...Object.entries(messages).map(([n, m]) => `    ${JSON.stringify(n)}: ${JSON.stringify(m)},`),
    '  },',
    '};',
    '',
  ];
  writeFileSync(OUT, lines.join('\n'));
  for (const w of warnings) console.warn('warning:', w);
  console.log(`wrote ${OUT}: ${Object.keys(messages).length} messages, ${Object.values(kinds).reduce((a, k) => a + Object.keys(k).length, 0)} kinds`);
}

main();
