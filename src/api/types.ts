// The contract between the generic API server store and each kind. A kind contributes
// only data and pure functions (a strategy); the generic store owns every code path.
import type { FieldError } from '../machinery/errors.js';
import type { OwnerRef } from '../machinery/meta.js';
import type { ManagedFieldsEntry } from '../machinery/patch/apply.js';

/** Loosely typed Kubernetes object as it travels through the API server. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Owner references and managed-fields entries are machinery types, named here as in the API. */
export type OwnerReference = OwnerRef;
export type { ManagedFieldsEntry };

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  selfLink?: string;
  [key: string]: unknown;
}

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

/** A metav1.TableColumnDefinition. The first column with format "name" is NAME. */
export interface TableColumn {
  name: string;
  type: ColumnType;
  format?: string;
  description: string;
  priority: number;
}

export interface PrintContext {
  /** Milliseconds since epoch; ages are computed against it. */
  now: number;
}

/** Where the scale subresource reads and writes replicas (JSON paths like ".spec.replicas"). */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceStrategy {
  group: string;          // "" for core
  version: string;        // "v1"
  kind: string;           // "Deployment"
  plural: string;         // "deployments"
  singular: string;       // "deployment"
  namespaced: boolean;
  listKind?: string;      // default `${kind}List`
  shortNames?: string[];
  categories?: string[];
  /** How metadata.name is validated (upstream's per-kind name validator); default 'subdomain'. */
  nameValidation?: 'subdomain' | 'label' | 'dns1035' | 'path-segment';
  /** Verbs served; default create, delete, deletecollection, get, list, patch, update, watch. */
  verbs?: string[];
  subresources?: {
    /** Serve /status: main-resource writes keep the stored status; /status writes change only status. */
    status?: boolean;
    scale?: ScaleSubresource;
  };
  /**
   * Whether metadata.generation is maintained (starts at 1, bumped when anything outside
   * metadata and status changes). Default true when the kind has a status subresource.
   */
  generation?: boolean;

  /** Upstream SetDefaults_*: fill defaults in place. Runs on every create and update (after patching). */
  defaults?(obj: KObject): void;
  /** Adjust a new object before validation (e.g. reset status). */
  prepareForCreate?(obj: KObject): void;
  /** Adjust an updated object before validation, given the stored one (e.g. keep immutable parts). */
  prepareForUpdate?(obj: KObject, old: KObject): void;
  /**
   * Kind-specific finalization still pending (namespaces: spec.finalizers). While true, a
   * delete only marks the object (deletionTimestamp) and an update cannot complete it.
   */
  pendingFinalization?(obj: KObject): boolean;
  /**
   * Seconds a delete waits for a graceful shutdown (pods on a node: the node agent finishes
   * the deletion); `requested` is DeleteOptions.gracePeriodSeconds. Default: immediate.
   */
  deletionGracePeriod?(obj: KObject, requested: number | undefined): number;
  /** A finished DELETE answers with the deleted object instead of a Success Status (pods). */
  returnDeletedObject?: boolean;
  /** Adjusts an object being marked for deletion (namespaces: phase Terminating). */
  markDeleting?(obj: KObject): void;
  /** Field errors for a new object (metadata name/labels are validated generically). */
  validate?(obj: KObject): FieldError[];
  /** Field errors for an update, e.g. immutable fields. */
  validateUpdate?(obj: KObject, old: KObject): FieldError[];
  /** Validation of the status subresource write (defaults to none). */
  validateStatusUpdate?(obj: KObject, old: KObject): FieldError[];

  /**
   * Table columns after NAME (the generic NAME column is added by the server), in
   * upstream order; AGE is not automatic: list it where upstream puts it.
   */
  columns?: TableColumn[];
  /** One cell per entry of `columns`. */
  row?(obj: KObject, ctx: PrintContext): unknown[];

  /** Field selector keys beyond metadata.name and metadata.namespace, mapped to string values. */
  fieldSelectors?: Record<string, (obj: KObject) => string | undefined>;
}

export const DEFAULT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
