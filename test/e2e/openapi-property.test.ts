import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus, type ApiClient } from './support/client.ts';
import { HOSTILE_STRINGS, almostValidObject, invalidArb, validArb, type JsonSchema } from '../support/openapi-arbitraries.ts';

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}
interface Operation {
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, { content?: { 'application/json'?: { schema: JsonSchema } } }>;
}
type Kind = 'valid' | 'almost' | 'hostile';

const RUNS = Number(process.env.ORDERFLOW_PROPERTY_RUNS ?? 40);
const ADMIN_TAGS = new Set(['admin', 'customers', 'keys']);
const ADMIN_ROUTES = new Set(['PUT /v1/products/{sku}']);
const CUSTOMER_ROUTES = new Set(['POST /v1/orders']);

/** Percent-encodes, or, for a string that is not valid UTF-16, sends bytes that are not valid UTF-8. */
function pathSegment(v: unknown): string {
  try {
    return encodeURIComponent(String(v));
  } catch {
    return '%ED%A0%80';
  }
}

describe('every route, generated from its OpenAPI schemas: no 5xx, errors are problem+json, 2xx match the document', () => {
  let sys: SystemProcess;
  let api: ApiClient;
  let cleanup: () => void;
  let customerKey: string;
  let realIds: { order: string; customer: string; sku: string; spareKey: string };
  let ops: Array<{ method: string; path: string; op: Operation }>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const seen = new Map<string, Set<number>>();

  before(async () => {
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir, env: { ORDERFLOW_RATE_LIMIT_PER_KEY: '0' } });
    api = apiClient(sys.url);
    const c = await api.createCustomer(sys.adminKey);
    customerKey = c.apiKey;
    await api.putProduct(sys.adminKey, 'A', { priceCents: 100, stock: 100_000 });
    const o = await placeWhenOrderable(api, customerKey, { items: [{ sku: 'A', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    await waitForStatus(api, customerKey, o.body.id, ['confirmed']);
    // A second key of the customer's, for the revoke route to find (the test's own key stays live).
    const spare = await api.call('POST', `/v1/customers/${c.id}/keys`, { key: sys.adminKey });
    realIds = { order: o.body.id, customer: c.id, sku: 'A', spareKey: spare.body.id };
    const doc = (await api.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
    ops = Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
  });

  after(async () => {
    await sys.stop();
    await cleanup();
    for (const [route, statuses] of seen) console.log(`# ${route}: ${[...statuses].sort().join(' ')}`);
  });

  /** A request of `kind` for one operation: path, query and body drawn from its schemas. */
  function requestArb(method: string, path: string, op: Operation, kind: Kind) {
    const route = `${method} ${path}`;
    const params = op.parameters ?? [];
    const pathParams = params.filter((p) => p.in === 'path');
    const query = params.filter((p) => p.in === 'query');
    const known = (name: string) =>
      name === 'id' ? [realIds.order, realIds.customer] : name === 'sku' ? [realIds.sku] : name === 'keyId' ? [realIds.spareKey] : [];
    const paramArb = (p: Parameter): fc.Arbitrary<unknown> => {
      if (kind === 'hostile') return fc.constantFrom<unknown>(...HOSTILE_STRINGS.filter((h) => h.length < 300));
      if (kind === 'almost') return fc.oneof(validArb(p.schema), invalidArb(p.schema));
      const k = known(p.name);
      return k.length > 0 ? fc.oneof(fc.constantFrom(...k), validArb(p.schema)) : validArb(p.schema);
    };
    const pathArb = fc.tuple(...pathParams.map(paramArb)).map((vals) =>
      pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, pathSegment(vals[i])), path),
    );
    const queryArb = fc.tuple(...query.map((p) => fc.option(paramArb(p), { nil: undefined }))).map((vals) => {
      const qs = new URLSearchParams();
      query.forEach((p, i) => vals[i] !== undefined && qs.set(p.name, typeof vals[i] === 'string' ? (vals[i] as string) : JSON.stringify(vals[i])));
      if (kind === 'almost' && query.length > 0 && vals.every((v) => v === undefined)) qs.set('unknownParam', '1');
      const s = qs.toString();
      return s ? `?${s}` : '';
    });
    const schema = op.requestBody?.content['application/json'].schema;
    const bodyArb: fc.Arbitrary<unknown> =
      schema === undefined
        ? fc.constant(undefined)
        : kind === 'valid'
          ? validArb(schema, { sku: [realIds.sku], paymentMethod: ['pm_card_visa', 'pm_card_chargeDeclined'] })
          : kind === 'almost'
            ? almostValidObject(schema)
            : fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom<unknown>(...HOSTILE_STRINGS));
    const who = ADMIN_ROUTES.has(route) || ADMIN_TAGS.has(op.tags?.[0] ?? '') ? ['admin'] : CUSTOMER_ROUTES.has(route) ? ['customer'] : ['admin', 'customer'];
    const keyArb = fc.constantFrom(...who);
    const idemArb = kind === 'hostile' ? fc.constantFrom(randomUUID(), 'x'.repeat(300), "' OR 1=1 --") : fc.uuid();
    return fc.record({ path: pathArb, query: queryArb, body: bodyArb, who: keyArb, idem: idemArb });
  }

  function responseValidator(op: Operation, status: number): ValidateFunction | undefined {
    const schema = op.responses[String(status)]?.content?.['application/json']?.schema;
    return schema ? ajv.compile(schema) : undefined;
  }

  for (const kind of ['valid', 'almost', 'hostile'] as const) {
    test(`${kind} requests to every route`, async () => {
      assert.ok(ops.length >= 12, 'the document lists the routes');
      for (const { method, path, op } of ops) {
        const route = `${method} ${path}`;
        await fc.assert(
          fc.asyncProperty(requestArb(method, path, op, kind), async (req) => {
            const key = req.who === 'admin' ? sys.adminKey : customerKey;
            // Stray lone surrogates cannot be sent as UTF-8 text; JSON.stringify escapes them in bodies.
            const res = await api.call(method, `${req.path}${req.query}`, {
              key,
              ...(req.body !== undefined ? { rawBody: JSON.stringify(req.body) ?? 'null' } : {}),
              headers: { 'idempotency-key': req.idem },
            });
            if (!seen.has(`${kind} ${route}`)) seen.set(`${kind} ${route}`, new Set());
            seen.get(`${kind} ${route}`)!.add(res.status);
            assert.ok(res.status < 500, `${route} ${JSON.stringify(req)} → ${res.status} ${JSON.stringify(res.body)}`);
            if (res.status >= 400) {
              assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, `${route} → ${res.status} is problem+json`);
              const p = res.body as Record<string, unknown>;
              assert.equal(p.status, res.status);
              assert.equal(typeof p.code, 'string');
              assert.equal(typeof p.title, 'string');
              assert.match(String(p.type), /^urn:orderflow:problem:[A-Z_]+$/);
              assert.ok(!JSON.stringify(p).includes('    at '), 'no stack trace');
            } else {
              const validate = responseValidator(op, res.status);
              assert.ok(validate, `${route} answered ${res.status}, which its document does not describe`);
              assert.ok(validate(res.body), `${route} ${res.status} body does not match its schema: ${ajv.errorsText(validate.errors)}`);
            }
          }),
          { numRuns: RUNS },
        );
      }
    });
  }

  test('valid requests reach success on every route at least once', () => {
    for (const { method, path } of ops) {
      const statuses = [...(seen.get(`valid ${method} ${path}`) ?? [])];
      const expectNoSuccess = path === '/v1/admin/dead-letters/{id}/replay'; // there are none to replay
      if (!expectNoSuccess) assert.ok(statuses.some((s) => s < 300), `${method} ${path} never succeeded: ${statuses.join(' ')}`);
    }
  });
});
