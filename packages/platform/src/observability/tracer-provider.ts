import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  context as contextApi,
  isSpanContextValid,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { SpanRecord, SpanSink } from './span-record.ts';

/** Attribute naming the bounded context a span runs in; children inherit it. */
export const SERVICE_ATTRIBUTE = 'orderflow.service';

const KIND_NAMES: Record<number, string> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

// Ids come from one random pool refilled in bulk: a crypto call per span would cost more than the span.
const pool = Buffer.alloc(8 * 1024);
let poolAt = pool.length;
function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const s = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return s;
}

/**
 * A new trace id: 48 bits of millisecond time, then 80 random bits (the right-most 7 bytes stay
 * random, as W3C trace context level 2 asks). Ids that start with the time land next to each
 * other in the span store's trace index instead of all over it: a random id costs that index a
 * page visit per span (`npm run bench:tracing-micro` shows the store's share).
 */
function newTraceId(): string {
  return Date.now().toString(16).padStart(12, '0') + randomHex(10);
}

// performance.now() is monotonic; anchor it once to wall time.
const origin = Date.now() - performance.now();
const nowMs = () => origin + performance.now();

function toMs(t: TimeInput | undefined): number {
  if (t === undefined) return nowMs();
  if (typeof t === 'number') return t;
  if (t instanceof Date) return t.getTime();
  return t[0] * 1000 + t[1] / 1e6;
}

class RecordingSpan implements Span {
  private readonly attributes: Record<string, string | number | boolean> = {};
  private status: SpanStatus = { code: SpanStatusCode.UNSET };
  private ended = false;
  readonly startMs: number;

  constructor(
    private readonly ctx: SpanContext,
    private name: string,
    private readonly kind: SpanKind,
    readonly parentSpanId: string | undefined,
    public service: string,
    private readonly sink: SpanSink,
    startTime: TimeInput | undefined,
  ) {
    this.startMs = toMs(startTime);
  }

  spanContext(): SpanContext {
    return this.ctx;
  }
  setAttribute(key: string, value: AttributeValue): this {
    if (this.ended || value === undefined || value === null) return this;
    if (key === SERVICE_ATTRIBUTE) this.service = String(value);
    else this.attributes[key] = Array.isArray(value) ? value.join(',') : (value as string | number | boolean);
    return this;
  }
  setAttributes(attributes: Attributes): this {
    for (const [k, v] of Object.entries(attributes)) if (v !== undefined) this.setAttribute(k, v);
    return this;
  }
  addEvent(): this {
    return this; // events are not kept by the local store
  }
  addLink(_link: Link): this {
    return this;
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    if (!this.ended) this.status = status;
    return this;
  }
  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }
  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.ended = true;
    const record: SpanRecord = {
      traceId: this.ctx.traceId,
      spanId: this.ctx.spanId,
      parentSpanId: this.parentSpanId,
      name: this.name,
      kind: KIND_NAMES[this.kind] ?? 'internal',
      service: this.service,
      startMs: this.startMs,
      durationMs: Math.max(0, toMs(endTime) - this.startMs),
      status: this.status.code === SpanStatusCode.ERROR ? 'error' : this.status.code === SpanStatusCode.OK ? 'ok' : 'unset',
      attributes: this.attributes,
    };
    if (this.status.message) record.attributes['status.message'] = this.status.message;
    this.sink.add(record);
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(exception: Exception): void {
    const e = exception as { name?: string; message?: string; code?: string };
    this.setAttribute('exception.type', typeof exception === 'string' ? 'Error' : (e.code ?? e.name ?? 'Error'));
    this.setAttribute('exception.message', typeof exception === 'string' ? exception : (e.message ?? ''));
  }
}

class LocalTracer implements Tracer {
  constructor(
    private readonly sink: SpanSink,
    private readonly defaultService: string,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): Span {
    const parent = options.root ? undefined : trace.getSpan(ctx);
    const parentCtx = parent?.spanContext();
    const hasParent = parentCtx !== undefined && isSpanContextValid(parentCtx);
    const spanContext: SpanContext = {
      traceId: hasParent ? parentCtx.traceId : newTraceId(),
      spanId: randomHex(8),
      traceFlags: TraceFlags.SAMPLED,
    };
    const inherited = parent instanceof RecordingSpan ? parent.service : this.defaultService;
    const span = new RecordingSpan(spanContext, name, options.kind ?? SpanKind.INTERNAL, hasParent ? parentCtx.spanId : undefined, inherited, this.sink, options.startTime);
    if (options.attributes) span.setAttributes(options.attributes);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
    const ctx = (rest.length >= 3 ? rest[1] : contextApi.active()) as Context;
    const span = this.startSpan(name, options, ctx);
    return contextApi.with(trace.setSpan(ctx, span), () => fn(span)) as ReturnType<F>;
  }
}

/**
 * A small TracerProvider implementing the OpenTelemetry API: every span is sampled, kept in
 * memory until it ends, then handed to `sink` as one plain record. It replaces the SDK on the hot
 * path (no processors, no resource merging, no id generator objects); `npm run bench -- tracing`
 * measures what it costs.
 */
export function createLocalTracerProvider(opts: { sink: SpanSink; service?: string }): TracerProvider {
  const tracer = new LocalTracer(opts.sink, opts.service ?? 'orderflow');
  return { getTracer: () => tracer };
}
