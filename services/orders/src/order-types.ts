import type { CancellationReason, PricedLine } from '@orderflow/contracts';
import type { NewEvent } from '@orderflow/platform';

export type { CancellationReason, PricedLine };
export type NewEventLike = NewEvent;
