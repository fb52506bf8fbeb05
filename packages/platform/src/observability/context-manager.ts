import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/** The active OpenTelemetry context kept in AsyncLocalStorage, so it follows awaits and callbacks. */
export function asyncLocalStorageContextManager(): ContextManager {
  let als = new AsyncLocalStorage<Context>();
  const manager: ContextManager = {
    active: () => als.getStore() ?? ROOT_CONTEXT,
    with(ctx, fn, thisArg, ...args) {
      const run = fn as unknown as (...a: unknown[]) => ReturnType<typeof fn>;
      return als.run(ctx, () => run.apply(thisArg, args as unknown[]));
    },
    bind<T>(ctx: Context, target: T): T {
      if (typeof target !== 'function') return target;
      const fn = target as unknown as (...a: unknown[]) => unknown;
      return ((...a: unknown[]) => manager.with(ctx, () => fn(...a))) as unknown as T;
    },
    enable() {
      return manager;
    },
    disable() {
      als.disable();
      als = new AsyncLocalStorage<Context>();
      return manager;
    },
  };
  return manager;
}
