export { newDisruptionController } from './controller.js';
