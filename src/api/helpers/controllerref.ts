// ControllerRef semantics (upstream ControllerRefManager) as pure decisions: which
// objects a controller owns, should adopt (orphans its selector matches) or release
// (owned objects its selector no longer matches).
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

export interface OwnedMeta {
  metadata?: {
    uid?: string;
    labels?: { [k: string]: string };
    deletionTimestamp?: string;
    ownerReferences?: readonly OwnerReference[];
  };
}

/**
 * owned: already controlled and matching; adopt: an orphan that matches, to be claimed
 * if the owner may adopt; release: controlled but no longer matching; ignore: anything else.
 */
export type ClaimDecision = 'owned' | 'adopt' | 'release' | 'ignore';

export function claimDecision(obj: OwnedMeta, ownerUid: string, ownerDeleting: boolean, matches: (labels: { [k: string]: string } | undefined) => boolean): ClaimDecision {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  const match = matches(obj.metadata?.labels);
  if (ref) {
    if (ref.uid !== ownerUid) return 'ignore';
    if (match) return 'owned';
    return ownerDeleting ? 'ignore' : 'release';
  }
  if (ownerDeleting || !match || obj.metadata?.deletionTimestamp) return 'ignore';
  return 'adopt';
}

/**
 * A JSON merge patch body that replaces metadata.ownerReferences (and, when given,
 * metadata.finalizers), guarded by the object's uid and resourceVersion so it applies
 * only to the version decided on.
 */
export function ownerRefsPatch(obj: { metadata?: { uid?: string; resourceVersion?: string } }, refs: readonly OwnerReference[], finalizers?: readonly string[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = { uid: obj.metadata?.uid, resourceVersion: obj.metadata?.resourceVersion, ownerReferences: refs.length ? refs : null };
  if (finalizers) metadata.finalizers = finalizers.length ? finalizers : null;
  return { metadata };
}
