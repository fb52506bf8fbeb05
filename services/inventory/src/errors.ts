import { defineErrors } from '@orderflow/platform';

/** Inventory's error registry (documented in docs/errors.md). */
export const inventoryErrors = defineErrors({
  PRODUCT_NOT_FOUND: { status: 404, title: 'Product not found', retryable: false },
  INVENTORY_BAD_EVENT: { status: 500, title: 'Event does not match its contract', retryable: false },
});
