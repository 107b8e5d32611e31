export { newNodeIpamController } from './controller.js';
