export { createOrdersService } from './service.ts';
export { orderErrors } from './errors.ts';
export type { OrderErrorCode } from './errors.ts';
