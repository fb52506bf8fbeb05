import type { Broker } from '../broker/broker.ts';
import type { DependencyPolicy } from './dependency-policy.ts';

/**
 * A Broker whose publishes run under `policy` (time budget, breaker, bulkhead); subscribing,
 * delivery and dead letters are the broker's own. A publish cut off by the budget may still have
 * reached the broker: the caller (the outbox relay) publishes the rows again and the broker drops
 * them by event id. Throws what the broker throws, or the kit's DEPENDENCY_* errors (retryable).
 */
export function resilientBroker(broker: Broker, policy: DependencyPolicy): Broker {
  return {
    publish: (events) => policy.execute(() => broker.publish(events)),
    subscribe: (opts) => broker.subscribe(opts),
    start: () => broker.start(),
    deadLetters: broker.deadLetters,
    stats: () => broker.stats(),
    drain: (timeoutMs) => broker.drain(timeoutMs),
    close: (timeoutMs) => broker.close(timeoutMs),
  };
}
