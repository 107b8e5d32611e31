// The controllers `kite server` runs, in start order. Each entry is a factory; the
// composition root (src/cluster/controllers.ts) builds and runs them.
import type { ControllerFactory } from './context.js';
import { rootCaCertPublisher } from './rootcacert/index.js';

export * from './context.js';

export const CONTROLLERS: Record<string, ControllerFactory> = {
  'root-ca-cert-publisher': rootCaCertPublisher,
};
