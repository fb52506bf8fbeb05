import { createDependencyPolicy, type DependencyPolicy, type DependencyStats } from './dependency-policy.ts';
import { dependencyDefaults, type DependencyPolicyOptions } from './dependency-policy-options.ts';
import type { ResilienceListener } from './events.ts';
import { isPostgresOutage } from './resilient-pg-pool.ts';

const FAILURE_FILTERS: Record<string, (error: unknown) => boolean> = { postgres: isPostgresOutage, 'postgres-replica': isPostgresOutage };

/** The process's policies, one per dependency, created on first use. */
export interface ResilienceKit {
  /**
   * The policy for `dependency`: its options from the kit's config, else the defaults for that
   * name; created on first use, with `isFailure` (which errors count against the breaker, see
   * `createDependencyPolicy`; PostgreSQL's policies default to `isPostgresOutage`).
   * @throws RangeError for a name with neither options nor defaults.
   */
  policy(dependency: string, isFailure?: (error: unknown) => boolean): DependencyPolicy;
  /** Stats of every policy created so far. */
  stats(): DependencyStats[];
  /** Subscribes to every policy's events, present and future. Returns the unsubscribe function. */
  on(listener: ResilienceListener): () => void;
}

/** Creates the kit. `options` override the per-dependency defaults, field by field. */
export function createResilienceKit(options: Record<string, Partial<DependencyPolicyOptions>> = {}): ResilienceKit {
  const policies = new Map<string, DependencyPolicy>();
  const listeners = new Set<ResilienceListener>();
  return {
    policy(dependency, isFailure) {
      let p = policies.get(dependency);
      if (!p) {
        const base = (dependencyDefaults as Record<string, DependencyPolicyOptions>)[dependency];
        const given = options[dependency];
        if (!base && !given) throw new RangeError(`no resilience options for dependency '${dependency}'`);
        p = createDependencyPolicy(dependency, { ...(base ?? dependencyDefaults.payment), ...given } as DependencyPolicyOptions, isFailure ?? FAILURE_FILTERS[dependency]);
        p.on((e) => {
          for (const l of listeners) l(e);
        });
        policies.set(dependency, p);
      }
      return p;
    },
    stats: () => [...policies.values()].map((p) => p.stats()),
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
