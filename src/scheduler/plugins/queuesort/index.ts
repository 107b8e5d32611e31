// PrioritySort: higher priority first, then whoever entered the queue first.
import type { PodInfo } from '../../types.js';

export function prioritySort(a: { pod: PodInfo; timestamp: number }, b: { pod: PodInfo; timestamp: number }): boolean {
  return a.pod.priority > b.pod.priority || (a.pod.priority === b.pod.priority && a.timestamp < b.timestamp);
}
