import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { asyncLocalStorageContextManager } from './context-manager.ts';
import { createOtlpExporter } from './otlp-exporter.ts';
import { createSpanStore, type SpanStore } from './span-store.ts';
import { createLocalTracerProvider } from './tracer-provider.ts';
import { w3cTraceparentPropagator } from './traceparent.ts';
import type { SpanSink } from './span-record.ts';

export interface TracingOptions {
  /** false: nothing is registered and every span is the API's no-op. */
  enabled: boolean;
  /** The local store goes to `<dataDir>/traces.db`. */
  dataDir: string;
  /** Keep spans in the local store. Default true. */
  localStore?: boolean;
  maxSpans?: number;
  /** Also export over OTLP/HTTP JSON to this collector. */
  otlpEndpoint?: string | undefined;
  /** The service a span belongs to when neither it nor its parent in this process names one. Default `orderflow`. */
  service?: string;
  onExportError?: (error: unknown) => void;
}

export interface Tracing {
  /** The local store, when kept (the dashboard reads it). */
  readonly store: SpanStore | undefined;
  /** Writes and sends what is buffered, then unregisters. */
  shutdown(): Promise<void>;
}

/**
 * Registers the process-wide tracer provider, context manager and W3C propagator. Only a
 * composition root calls this (STYLE rule 12); everything else uses the OpenTelemetry API.
 */
export function registerTracing(opts: TracingOptions): Tracing {
  if (!opts.enabled) return { store: undefined, shutdown: async () => {} };
  const store = opts.localStore === false ? undefined : createSpanStore({ file: join(opts.dataDir, 'traces.db'), ...(opts.maxSpans ? { maxSpans: opts.maxSpans } : {}) });
  const otlp = opts.otlpEndpoint ? createOtlpExporter({ endpoint: opts.otlpEndpoint, ...(opts.onExportError ? { onError: opts.onExportError } : {}) }) : undefined;
  const sinks = [store, otlp].filter((s): s is NonNullable<typeof s> => s !== undefined);
  const sink: SpanSink = sinks.length === 1 ? sinks[0]! : { add: (s) => sinks.forEach((k) => k.add(s)) };
  context.setGlobalContextManager(asyncLocalStorageContextManager());
  propagation.setGlobalPropagator(w3cTraceparentPropagator());
  trace.setGlobalTracerProvider(createLocalTracerProvider({ sink, ...(opts.service ? { service: opts.service } : {}) }));
  return {
    store,
    async shutdown() {
      store?.close();
      await otlp?.close();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
