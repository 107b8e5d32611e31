// Column definitions several core tables share.
import type { TableColumn } from '../../types.js';

export const AGE_COLUMN: TableColumn = {
  name: 'Age', type: 'string', priority: 0,
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};

/** The generic server-side table of kinds upstream has no printer for: NAME, CREATED AT. */
export const CREATED_AT_COLUMN: TableColumn = {
  name: 'Created At', type: 'date', priority: 0,
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};
