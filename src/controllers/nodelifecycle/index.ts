export { newNodeLifecycleController } from './controller.js';
