import fc from 'fast-check';

/** The subset of JSON Schema our OpenAPI document uses. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

/** Strings that have broken SQL, JSON, logs, paths and parsers elsewhere. */
export const HOSTILE_STRINGS = [
  "' OR '1'='1",
  "'; DROP TABLE orders; --",
  '1 UNION SELECT hash FROM api_keys',
  '\u0000',
  '../../etc/passwd',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '__proto__',
  '\r\nX-Injected: 1',
  '🙂'.repeat(40),
  '\ud800',
  'x'.repeat(5000),
  '-0',
  'NaN',
  '1e309',
];

const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(...HOSTILE_STRINGS, null, true, -1, 0, 1e308, Number.MAX_SAFE_INTEGER + 2, -0.5, [], {}, { __proto__: { admin: true } }),
  fc.string({ maxLength: 30 }),
  fc.integer(),
);

/** Known-good values by property name (a sku that exists), mixed into generated ones. */
export type Hints = Record<string, readonly unknown[]>;

/** Values a schema accepts (emails are RFC-valid, which the server's format check may still refuse). */
export function validArb(s: JsonSchema, hints: Hints = {}): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => validArb(a, hints)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string': {
      const max = s.maxLength ?? 40;
      if (s.format === 'email') return fc.emailAddress().filter((e) => e.length <= max);
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= max && x.length >= (s.minLength ?? 0));
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(max, 60) });
    }
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validArb(s.items ?? {}, hints), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) });
    case 'object': {
      const props = s.properties ?? {};
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) {
        const known = hints[k];
        rec[k] = known && known.length > 0 ? fc.oneof(fc.constantFrom(...known), validArb(v, hints)) : validArb(v, hints);
      }
      return fc.record(rec, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
    }
    default:
      return fc.anything({ maxDepth: 1 });
  }
}

/** Values that break exactly one rule of a schema: past a bound, the wrong type, a hostile string. */
export function invalidArb(s: JsonSchema): fc.Arbitrary<unknown> {
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  const options: Array<fc.Arbitrary<unknown>> = [hostileValue];
  if (type === 'string') {
    options.push(fc.integer(), fc.constant(null));
    if (s.maxLength !== undefined) options.push(fc.constant('a'.repeat(s.maxLength + 1)));
    if ((s.minLength ?? 0) > 0) options.push(fc.constant(''));
  } else if (type === 'integer' || type === 'number') {
    options.push(fc.string({ maxLength: 6 }), fc.constant(1.5));
    if (s.maximum !== undefined) options.push(fc.constant(s.maximum + 1));
    if (s.minimum !== undefined) options.push(fc.constant(s.minimum - 1));
  } else if (type === 'array') {
    options.push(fc.constant('not-an-array'));
    if (s.maxItems !== undefined) options.push(validArb(s.items ?? {}).map((v) => Array.from({ length: s.maxItems! + 1 }, () => v)));
    if ((s.minItems ?? 0) > 0) options.push(fc.constant([]));
    if (s.items) options.push(fc.tuple(validArb(s.items), invalidArb(s.items)).map(([a, b]) => [a, b]));
  } else if (type === 'object') {
    return almostValidObject(s);
  }
  return fc.oneof(...options);
}

/** A valid object with one thing wrong: a field dropped, a field added, or one field invalid. */
export function almostValidObject(s: JsonSchema): fc.Arbitrary<unknown> {
  const props = Object.keys(s.properties ?? {});
  const base = validArb(s) as fc.Arbitrary<Record<string, unknown>>;
  const options: Array<fc.Arbitrary<unknown>> = [
    fc.tuple(base, fc.constantFrom('customerId', 'status', 'totalCents', 'priceCents', 'id', 'role', '__proto__', 'constructor'), hostileValue).map(([o, k, v]) => {
      const copy: Record<string, unknown> = { ...o };
      Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
      return copy;
    }),
    fc.constantFrom<unknown>(null, [], 'text', 42),
  ];
  if ((s.required ?? []).length > 0) {
    options.push(fc.tuple(base, fc.constantFrom(...s.required!)).map(([o, k]) => {
      const copy = { ...o };
      delete copy[k];
      return copy;
    }));
  }
  if (props.length > 0) {
    options.push(
      fc.constantFrom(...props).chain((k) => fc.tuple(base, invalidArb(s.properties![k]!)).map(([o, v]) => ({ ...o, [k]: v }))),
    );
  }
  return fc.oneof(...options);
}
