import { pino, type DestinationStream, type Logger } from 'pino';
import { activeTraceIds } from './observability/spans.ts';

export type { Logger, DestinationStream };

/** Where log lines go by default: stdout, written asynchronously in whole lines. */
export function createLogDestination(): DestinationStream & { flushSync(): void } {
  return pino.destination({ sync: false });
}

/** Paths never written to logs: keys, secrets, card data. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'apiKey',
  '*.apiKey',
  'secretKey',
  '*.secretKey',
  'paymentMethod',
  '*.paymentMethod',
];

/** JSON logs, one line per event, with the service name on every line. */
export function createLogger(opts: { level?: string; service?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service ?? 'orderflow' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // trace_id and span_id of the active span on every line (nothing when tracing is off)
      mixin: activeTraceIds,
    },
    opts.destination ?? createLogDestination(),
  );
}
