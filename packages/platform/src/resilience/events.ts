/** What a policy reports; observability subscribes and counts, the kit itself never logs. */
export type ResilienceEvent =
  | { dependency: string; type: 'retry'; attempt: number; delayMs: number; error: unknown }
  | { dependency: string; type: 'give_up'; error: unknown }
  | { dependency: string; type: 'timeout' }
  | { dependency: string; type: 'bulkhead_rejected' }
  | { dependency: string; type: 'circuit_rejected' }
  | { dependency: string; type: 'breaker_state'; state: BreakerState };

export type BreakerState = 'closed' | 'open' | 'half_open' | 'isolated';
export type ResilienceEventType = ResilienceEvent['type'];
export type ResilienceListener = (event: ResilienceEvent) => void;
