export { newEndpointsController } from './controller.js';
