// meta.k8s.io/v1 Table conversion for `kubectl get`. NAME comes first; the strategy
// supplies the remaining columns (upstream's printer columns), else NAME and AGE.
import type { KObject, TableColumn } from '../../api/types.js';
import { ageSince } from '../../machinery/duration.js';
import type { ServedResource } from '../resources.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const NAME_COLUMN: TableColumn = {
  name: 'Name', type: 'string', format: 'name', priority: 0,
  description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated.',
};
const AGE_COLUMN: TableColumn = {
  name: 'Age', type: 'string', format: '', priority: 0,
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};

/** Whether the strategy places NAME itself (events put it last, wide only). */
function ownsName(res: ServedResource): boolean {
  return !!res.strategy.columns?.some((c) => c.format === 'name');
}

export function tableColumns(res: ServedResource): TableColumn[] {
  const s = res.strategy;
  if (s.columns && s.row) return ownsName(res) ? s.columns : [NAME_COLUMN, ...s.columns];
  return [NAME_COLUMN, AGE_COLUMN];
}

export function tableRow(res: ServedResource, obj: KObject, include: IncludeObject, now: number): Record<string, unknown> {
  const s = res.strategy;
  const cells = s.columns && s.row
    ? (ownsName(res) ? s.row(obj, { now }) : [obj.metadata.name ?? '', ...s.row(obj, { now })])
    : [obj.metadata.name ?? '', ageSince(obj.metadata.creationTimestamp, now)];
  const row: Record<string, unknown> = { cells };
  if (include === 'Object') row.object = obj;
  else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  return row;
}

export function toTable(
  res: ServedResource,
  objs: KObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject,
  now: number,
  withHeaders = true,
): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withHeaders ? tableColumns(res) : [],
    rows: objs.map((o) => tableRow(res, o, include, now)),
  };
}

export function parseIncludeObject(v: string | null): IncludeObject {
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** Whether the Accept header asks for a meta.k8s.io Table (any version). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const part of accept.split(',')) {
    const p = part.toLowerCase();
    if (p.includes('as=table') && p.includes('g=meta.k8s.io')) return true;
    if (p.trim().startsWith('application/json') && !p.includes('as=')) return false;
  }
  return false;
}
