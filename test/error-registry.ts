import type { ErrorSpec } from '@orderflow/platform';
import { platformErrors, paymentProviderErrorSpecs, mailerErrorSpecs, resilienceErrors } from '@orderflow/platform';
import { orderErrors } from '@orderflow/orders';
import { inventoryErrors } from '@orderflow/inventory';
import { paymentErrors } from '@orderflow/payments';
import { notificationErrors } from '@orderflow/notifications';

/** Every error registry in the project, by owner, as docs/errors.md lists them. */
export function allRegistries(): Array<[string, Record<string, ErrorSpec>]> {
  return [
    ['platform (HTTP edge)', platformErrors.specs],
    ['orders', orderErrors.specs],
    ['inventory', inventoryErrors.specs],
    ['payments', paymentErrors.specs],
    ['notifications', notificationErrors.specs],
    ['payment provider client', paymentProviderErrorSpecs],
    ['mailer', mailerErrorSpecs],
    ['resilience kit (every outside call)', resilienceErrors.specs],
  ];
}
