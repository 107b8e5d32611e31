// Custom resources served from CustomResourceDefinitions.
export { CLEANUP_FINALIZER, CrdController, type CrdControllerOptions } from './controller.js';
export { customResourceStrategy, type CrdNames, type CrdSpec, type CrdVersion, type PrinterColumn, type VersionContext } from './strategy.js';
