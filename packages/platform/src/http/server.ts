import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifySchema } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '../logger.ts';
import { platformErrors } from '../errors.ts';
import { toProblem } from './problem.ts';
import { createValidatorCompiler } from './validators.ts';
import { clientErrorHandler, frameworkErrors, installUrlLimit, MAX_BODY_BYTES } from './edge-limits.ts';
import { installRateLimit, type RateLimitOptions } from './rate-limit-hook.ts';
import type { Metrics } from '../observability/metrics.ts';
import { observeHttp, requestLogFields } from './http-observability.ts';
import { installWriteLane } from './write-lane.ts';


/**
 * A header the handler checks itself, so that its own error codes answer (e.g. a missing
 * Idempotency-Key is `IDEMPOTENCY_KEY_MISSING`, not a generic validation error), is declared
 * optional for validation and marked `'x-required': true`; the OpenAPI document lists it as required.
 */
function documentRequiredHeaders({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  const headers = schema?.headers as { properties?: Record<string, { 'x-required'?: boolean }>; required?: string[] } | undefined;
  const marked = Object.entries(headers?.properties ?? {}).filter(([, p]) => p['x-required'] === true).map(([name]) => name);
  if (!headers || marked.length === 0) return { schema, url };
  return { schema: { ...schema, headers: { ...headers, required: [...new Set([...(headers.required ?? []), ...marked])] } }, url };
}

export type HttpServer = FastifyInstance;

export interface HttpServerOptions {
  logger: Logger;
  /** Answers /readyz: ready only between start and the beginning of shutdown. */
  isReady: () => boolean;
  /** Extra readiness checks (a database ping); all must pass. */
  readinessChecks?: Array<() => Promise<void>>;
  bodyLimitBytes?: number;
  /** Per-key and per-address rate limits; unset: none. */
  rateLimit?: RateLimitOptions;
  /** Request durations go here; spans go to whatever tracer provider is registered. */
  metrics?: Metrics;
  /** State-changing requests started per event-loop turn at most, reads answered in between (`write-lane.ts`); 0 or unset: no lane. */
  writesPerTurn?: number;
}

/**
 * The HTTP edge every service shares: JSON schema validation with unknown fields rejected,
 * every error as application/problem+json, request logs, `/healthz` and `/readyz`.
 */
export async function createHttpServer(opts: HttpServerOptions): Promise<FastifyInstance & { setRouteOwner(service: string | undefined): void }> {
  const app = Fastify({
    loggerInstance: opts.logger,
    // One request line of our own (onResponse below) instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimitBytes ?? MAX_BODY_BYTES,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors,
    clientErrorHandler,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const observed = observeHttp(app as unknown as FastifyInstance, opts.metrics);

  // Registered first so it sees every route: the OpenAPI document comes from the validating schemas.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'orderflow', version: '1.0.0', description: 'Order processing: orders, inventory, payments, notifications.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: documentRequiredHeaders,
  });
  app.get('/openapi.json', { schema: { hide: true } as object }, async () => app.swagger());

  app.setValidatorCompiler(createValidatorCompiler());
  installUrlLimit(app as unknown as FastifyInstance);
  if (opts.rateLimit) installRateLimit(app as unknown as FastifyInstance, opts.rateLimit);
  if ((opts.writesPerTurn ?? 0) > 0) installWriteLane(app as unknown as FastifyInstance, opts.writesPerTurn!);

  // JSON only: without this, fastify would accept text/plain bodies and fail them later as invalid.
  app.removeContentTypeParser('text/plain');

  app.addHook('onResponse', (req, reply, done) => {
    req.log.info(
      { ...requestLogFields(req, reply), route: req.routeOptions.url ?? 'unmatched', method: req.method, status: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
    done();
  });

  app.setErrorHandler(async (error, req, reply) => {
    const problem = toProblem(error, req.url);
    if (problem.status >= 500) req.log.error({ err: error }, 'unhandled error');
    if ((problem.status === 503 || problem.status === 429) && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
    return reply.status(problem.status).type('application/problem+json').send(problem);
  });

  app.setNotFoundHandler(async (req, reply) => {
    const problem = toProblem(platformErrors.create('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`), req.url);
    return reply.status(404).type('application/problem+json').send(problem);
  });

  app.get('/healthz', { schema: { hide: true } as object }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } as object }, async (_req, reply) => {
    if (!opts.isReady()) return reply.status(503).type('application/problem+json').send(toProblem(platformErrors.create('NOT_READY', 'Starting or stopping')));
    for (const check of opts.readinessChecks ?? []) {
      try {
        await check();
      } catch {
        return reply.status(503).type('application/problem+json').send(toProblem(platformErrors.create('NOT_READY', 'A dependency is not ready')));
      }
    }
    return { status: 'ready' };
  });
  return Object.assign(app as unknown as FastifyInstance, { setRouteOwner: observed.setOwner });
}

export type RoutePlugin = FastifyPluginAsync;
