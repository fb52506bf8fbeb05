import { Type } from 'typebox';
import { FREE_TEXT_PATTERN, UUID_PATTERN } from '@orderflow/platform';

export const Sku = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });

export const PlaceOrderBody = Type.Object(
  {
    items: Type.Array(
      Type.Object({ sku: Sku, quantity: Type.Integer({ minimum: 1, maximum: 10_000 }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 100 },
    ),
    paymentMethod: Type.String({ pattern: '^[A-Za-z0-9_]{1,100}$', description: "A provider payment method, e.g. Stripe's pm_card_visa" }),
  },
  { additionalProperties: false },
);

export const OrderLineView = Type.Object({
  sku: Type.String(),
  quantity: Type.Integer(),
  unitPriceCents: Type.Optional(Type.Integer()),
});

export const OrderView = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('awaiting_payment'), Type.Literal('confirmed'), Type.Literal('cancelled')]),
  items: Type.Array(OrderLineView),
  totalCents: Type.Union([Type.Integer(), Type.Null()]),
  currency: Type.Union([Type.String(), Type.Null()]),
  paymentMethod: Type.String(),
  cancellationReason: Type.Optional(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/** Declared for the OpenAPI document; the route checks the value itself, so its own codes answer. */
export const PlaceOrderHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Required: 1 to 255 printable ASCII characters without spaces, one per order attempt and customer. A retry with the same key and body replays the first answer; another body is a 422; missing is 400 IDEMPOTENCY_KEY_MISSING, malformed 400 IDEMPOTENCY_KEY_INVALID.',
      'x-required': true,
    }),
  ),
});

export const OrderIdParams = Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) });

export const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('awaiting_payment'), Type.Literal('confirmed'), Type.Literal('cancelled')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ pattern: UUID_PATTERN })),
  },
  { additionalProperties: false },
);

export const OrderList = Type.Object({ items: Type.Array(OrderView), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const CreateCustomerBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Type.String({ minLength: 1, maxLength: 200, pattern: FREE_TEXT_PATTERN }),
  },
  { additionalProperties: false },
);

export const CustomerCreated = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  apiKey: Type.String({ description: 'Shown once; only a keyed hash is stored' }),
  keyId: Type.String({ description: 'The key id, for listing and revoking' }),
});

export const CustomerIdParams = Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) });
export const KeyIdParams = Type.Object({ keyId: Type.String({ pattern: '^[0-9a-f]{16}$' }) });

export const ApiKeyView = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
export const ApiKeyCreated = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  createdAt: Type.String(),
  apiKey: Type.String({ description: 'Shown once; only a keyed hash is stored' }),
});
export const ApiKeyList = Type.Object({ items: Type.Array(ApiKeyView) });
