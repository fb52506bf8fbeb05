import type { SpanRecord, SpanSink } from './span-record.ts';

export interface OtlpExporterOptions {
  /** Collector base URL; spans are POSTed as OTLP/HTTP JSON to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** Resource `service.name` for spans without a service of their own. Default `orderflow`. */
  serviceName?: string;
  /** Default 1000 ms. */
  flushMs?: number;
  /** Spans per request; default 512. Spans beyond 10 000 buffered are dropped. */
  batchSize?: number;
  onError?: (error: unknown) => void;
}

const KIND: Record<string, number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const STATUS: Record<string, number> = { unset: 0, ok: 1, error: 2 };
const nanos = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

function anyValue(v: string | number | boolean) {
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { stringValue: v };
}

/** One OTLP/HTTP JSON request body: a resource per service, so each bounded context shows as its own service. */
export function toOtlpJson(spans: readonly SpanRecord[], serviceName = 'orderflow') {
  const byService = new Map<string, SpanRecord[]>();
  for (const s of spans) byService.set(s.service || serviceName, [...(byService.get(s.service || serviceName) ?? []), s]);
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 'orderflow' },
          spans: list.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
            name: s.name,
            kind: KIND[s.kind] ?? 1,
            startTimeUnixNano: nanos(s.startMs),
            endTimeUnixNano: nanos(s.startMs + s.durationMs),
            attributes: Object.entries(s.attributes).map(([key, v]) => ({ key, value: anyValue(v) })),
            status: { code: STATUS[s.status] ?? 0 },
          })),
        },
      ],
    })),
  };
}

/** Sends spans to an OTLP/HTTP collector in batches, off the request path; a failed batch is dropped and reported. */
export function createOtlpExporter(opts: OtlpExporterOptions): SpanSink & { flush(): Promise<void>; close(): Promise<void> } {
  const url = `${opts.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const batchSize = opts.batchSize ?? 512;
  let buffer: SpanRecord[] = [];
  let sending: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    while (buffer.length > 0) {
      const batch = buffer.splice(0, batchSize);
      sending = sending.then(async () => {
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(toOtlpJson(batch, opts.serviceName)), signal: AbortSignal.timeout(10_000) });
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`OTLP export: HTTP ${res.status}`);
        } catch (error) {
          opts.onError?.(error);
        }
      });
    }
    return sending;
  };
  const timer = setInterval(() => void flush(), opts.flushMs ?? 1000);
  timer.unref();
  return {
    add(span) {
      if (buffer.length < 10_000) buffer.push(span);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
