export type { Result } from './result.ts';
export { ok, err } from './result.ts';
export type { ErrorSpec, ErrorRegistry, PlatformErrorCode } from './errors.ts';
export { AppError, defineErrors, platformErrors } from './errors.ts';
export { uuidv7, UUID_PATTERN } from './ids.ts';
export { FREE_TEXT_PATTERN } from './http/free-text.ts';
export type { Config } from './config.ts';
export { loadConfig, ConfigError } from './config.ts';
export type { Logger } from './logger.ts';
export { createLogDestination, createLogger } from './logger.ts';
export type { Database, Dialect, Migration } from './db/database.ts';
export { openSqliteDatabase } from './db/sqlite.ts';
export { runMigrations } from './db/migrate.ts';
export { platformMigrations } from './db/platform-migrations.ts';
export type { PlatformTables } from './db/platform-migrations.ts';
export type { NewEvent } from './outbox/outbox.ts';
export { appendToOutbox, currentOutboxHeaders, outboxInsert, setOutboxHeaderSource } from './outbox/outbox.ts';
export type { OutboxRelay } from './outbox/relay.ts';
export { createOutboxRelay } from './outbox/relay.ts';
export { claimInbox, inboxHas, inboxInsert } from './inbox/inbox.ts';
export type { Broker, DeliveredMessage, MessageHandler, SubscribeOptions, DeadLetter, ConsumerStats } from './broker/broker.ts';
export { isDependencyOutage, isNonRetryable, subjectMatches } from './broker/broker.ts';
export { createEmbeddedBroker } from './broker/embedded-broker.ts';
export type { EmbeddedBrokerOptions } from './broker/embedded-broker.ts';
export { fullJitterBackoff } from './broker/backoff.ts';
export type { Problem } from './http/problem.ts';
export { toProblem, problemType } from './http/problem.ts';
export type { HttpServer } from './http/server.ts';
export { createHttpServer } from './http/server.ts';
export type { Principal } from './http/auth.ts';
export { bearerToken, isAdminKey, requireAdmin, API_KEY_PATTERN } from './http/auth.ts';
export type { ServiceContext, ServiceModule } from './runtime/service.ts';
export type { Runtime, RuntimeOptions, RuntimeRole, RuntimePeer } from './runtime/runtime.ts';
export { startRuntime, stopOnSignals } from './runtime/runtime.ts';
export { resolveAdminKey } from './runtime/admin-key.ts';
export type { DistributedConfig } from './distributed-config.ts';
export { openPostgresDatabase } from './db/postgres.ts';
export type { PostgresOptions } from './db/postgres.ts';
export { ensureServiceDatabase, dropServiceDatabase, serviceDatabaseUrl } from './db/pg-provision.ts';
export { createNatsBroker } from './broker/nats-broker.ts';
export type { NatsBrokerOptions } from './broker/nats-broker.ts';
export { serviceDatabaseName } from './runtime/adapters.ts';
export type { PaymentProvider, ChargeRequest, ChargeResult, RefundRequest, RefundResult } from './payment-provider/index.ts';
export { createStripeCompatibleProvider, PaymentProviderError, paymentProviderErrorSpecs } from './payment-provider/index.ts';
export type { Mailer, MailMessage, SendGuard } from './mailer/index.ts';
export { faultPoint, type FaultPoint } from './fault-point.ts';
export { createSmtpMailer, createFileSinkMailer, MailerError, mailerErrorSpecs } from './mailer/index.ts';
export type { RateLimit, RateDecision, RateLimitStore } from './rate-limit/rate-limit-store.ts';
export { createMemoryRateLimitStore } from './rate-limit/memory-store.ts';
export type { RateLimitOptions } from './http/rate-limit-hook.ts';
export { installRateLimit, bucketForToken } from './http/rate-limit-hook.ts';
export { MAX_BODY_BYTES, MAX_URL_LENGTH } from './http/edge-limits.ts';
export { createRedisRateLimitStore } from './rate-limit/redis-store.ts';
export type { RedisRateLimitStoreOptions } from './rate-limit/redis-store.ts';
export { rateLimitOptions } from './runtime/rate-limit-options.ts';
export type { Metrics, BreakerState, MetricSources, MetricsSnapshot } from './observability/metrics.ts';
export { createMetrics, processMetrics } from './observability/metrics.ts';
export type { SpanRecord, SpanSink } from './observability/span-record.ts';
export type { Tracing, TracingOptions } from './observability/register-tracing.ts';
export { registerTracing } from './observability/register-tracing.ts';
export type { SpanStore } from './observability/span-store.ts';
export { createSpanStore, openSpanDatabase } from './observability/span-store.ts';
export type { SpanNode, SlowRequest, SlowReport, AffectedCustomer } from './observability/span-queries.ts';
export type { DashboardData } from './observability/routes.ts';
export { spansOfTrace, spanTree, slowRequests } from './observability/span-queries.ts';
export { withSpan, traceHeaders, contextFromHeaders } from './observability/spans.ts';
export { parseTraceparent, formatTraceparent } from './observability/traceparent.ts';
export { toOtlpJson } from './observability/otlp-exporter.ts';
export type { DependencyPolicy, DependencyStats, DependencyPolicyOptions, DependencyName, ResilienceKit, ResilienceEvent, ResilienceListener } from './resilience/index.ts';
export {
  createDependencyPolicy,
  dependencyDefaults,
  createResilienceKit,
  resilienceErrors,
  resilientPaymentProvider,
  resilientMailer,
  resilientBroker,
  failOpenRateLimitStore,
  resilientPgPool,
  isPostgresOutage,
} from './resilience/index.ts';
export type { Cache, CacheTier, CacheOptions } from './cache/cache.ts';
export { createCache, createUncached } from './cache/cache.ts';
export { createMemoryTier } from './cache/memory-tier.ts';
export type { RedisTierOptions } from './cache/redis-tier.ts';
export { createRedisTier } from './cache/redis-tier.ts';
export type { RecentWrites, RecentWritesOptions } from './cache/recent-writes.ts';
export { createRecentWrites } from './cache/recent-writes.ts';
export type { ReadPath } from './cache/read-path.ts';
export { openReadPath } from './cache/read-path.ts';
export type { ReadPathConfig } from './read-path-config.ts';
export type { ReplicaRouter, ReplicaStats } from './db/replica-router.ts';
export { createReplicaRouter } from './db/replica-router.ts';
export { readStale } from './db/read-stale.ts';
export { createCoalescedBatch, createCoalescedLookup } from './db/coalesced-lookup.ts';
