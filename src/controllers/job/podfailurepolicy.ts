// Pod failure policy: the first rule matching a failed pod decides whether it fails the
// Job (FailJob), is not counted against backoffLimit (Ignore) or is counted (Count).
// Exit-code rules look at terminated containers with a non-zero exit code only.
import type { PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';

export interface PolicyMatch {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';
  /** Upstream's message for a FailJob match. */
  message: string;
}

function matchingContainer(statuses: ContainerStatus[], req: PodFailurePolicyOnExitCodesRequirement): ContainerStatus | undefined {
  return statuses.find((s) => {
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) return false;
    if (req.containerName && req.containerName !== s.name) return false;
    const inValues = req.values.includes(code);
    return req.operator === 'In' ? inValues : req.operator === 'NotIn' ? !inValues : false;
  });
}

/** The first matching rule's action, or undefined when no rule matches (then the failure counts). */
export function matchPodFailurePolicy(policy: PodFailurePolicy, pod: Pod): PolicyMatch | undefined {
  const who = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const [i, rule] of policy.rules.entries()) {
    const action = rule.action as PolicyMatch['action'];
    if (rule.onExitCodes) {
      const c = matchingContainer(statuses, rule.onExitCodes);
      if (c) return { action, message: `Container ${c.name} for pod ${who} failed with exit code ${c.state!.terminated!.exitCode} matching ${action} rule at index ${i}` };
    }
    for (const pattern of rule.onPodConditions ?? []) {
      const cond = pod.status?.conditions?.find((c) => c.type === pattern.type && c.status === (pattern.status || 'True'));
      if (cond) return { action, message: `Pod ${who} has condition ${cond.type} matching ${action} rule at index ${i}` };
    }
  }
  return undefined;
}
