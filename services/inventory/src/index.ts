export { createInventoryService } from './service.ts';
export { inventoryErrors } from './errors.ts';
