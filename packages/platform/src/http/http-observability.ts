import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../observability/metrics.ts';
import { contextFromHeaders, SpanKind, tracer } from '../observability/spans.ts';
import { SERVICE_ATTRIBUTE } from '../observability/tracer-provider.ts';

/** Routes scraped or polled all the time: measured, but not traced (they would crowd the span store). */
const UNTRACED = new Set(['/metrics', '/healthz', '/readyz', '/dashboard', '/dashboard/data']);

const spans = new WeakMap<FastifyRequest, Span>();

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The bounded context that registered the route (set by observeHttp). */
    service?: string;
  }
}

function orderIdOf(req: FastifyRequest, reply: FastifyReply, route: string): string | undefined {
  if (!route.startsWith('/v1/orders')) return undefined;
  const id = (req.params as { id?: unknown } | undefined)?.id;
  if (typeof id === 'string') return id;
  const location = reply.getHeader('location');
  return typeof location === 'string' && location.startsWith('/v1/orders/') ? location.slice(11) : undefined;
}

/** Fields for the request log line: the trace, the service, and the customer and order where known. */
export function requestLogFields(req: FastifyRequest, reply: FastifyReply): Record<string, string> {
  const out: Record<string, string> = {};
  const sc = spans.get(req)?.spanContext();
  if (sc) {
    out.trace_id = sc.traceId;
    out.span_id = sc.spanId;
  }
  const service = req.routeOptions.config?.service;
  if (service) out.service = service;
  if (req.principal?.role === 'customer') out.customer_id = req.principal.customerId;
  const orderId = orderIdOf(req, reply, req.routeOptions.url ?? '');
  if (orderId) out.order_id = orderId;
  return out;
}

/**
 * A server span per request (continuing a client's W3C `traceparent`), made the active context
 * for the handler, and `http_request_duration_seconds` by route, method and status. Returns
 * `setOwner`, which tags the routes registered next with the service registering them.
 */
export function observeHttp(app: FastifyInstance, metrics: Metrics | undefined): { setOwner(service: string | undefined): void } {
  let owner: string | undefined;
  app.addHook('onRoute', (route) => {
    if (owner) route.config = { ...(route.config ?? {}), service: owner } as typeof route.config;
  });

  app.addHook('onRequest', (req, reply, done) => {
    if (metrics) {
      metrics.requestInFlight(1);
      reply.raw.once('close', () => metrics.requestInFlight(-1));
    }
    const route = req.routeOptions.url;
    if (route === undefined || UNTRACED.has(route)) return done();
    const parent = contextFromHeaders(req.headers as Record<string, unknown>, ROOT_CONTEXT);
    const span = tracer().startSpan(`${req.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': route } }, parent);
    const service = req.routeOptions.config?.service;
    if (service) span.setAttribute(SERVICE_ATTRIBUTE, service);
    spans.set(req, span);
    context.with(trace.setSpan(parent, span), done);
  });

  // Body parsing runs outside the request's async context; enter it again for the handler.
  app.addHook('preHandler', (req, _reply, done) => {
    const span = spans.get(req);
    if (!span) return done();
    context.with(trace.setSpan(context.active(), span), done);
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics?.observeRequest(route, req.method, reply.statusCode, reply.elapsedTime / 1000);
    const span = spans.get(req);
    if (!span) return done();
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (req.principal?.role === 'customer') span.setAttribute('enduser.id', req.principal.customerId);
    const orderId = orderIdOf(req, reply, route);
    if (orderId) span.setAttribute('order.id', orderId);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    done();
  });

  return {
    setOwner(service) {
      owner = service;
    },
  };
}
