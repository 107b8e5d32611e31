export { newEndpointSliceController } from './controller.js';
