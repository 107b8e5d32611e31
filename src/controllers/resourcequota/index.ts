export { newResourceQuotaController } from './controller.js';
