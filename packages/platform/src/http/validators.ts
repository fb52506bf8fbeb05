import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = { removeAdditional: false, useDefaults: true, allErrors: true, strict: false, addUsedSchema: false };

/**
 * Request validation, strict where the client sends JSON: a body is checked as it is, with no
 * type coercion (`"quantity": "1e309"` is a 400, not Infinity turned into 0). Path and query
 * values are strings on the wire, so they are coerced to the schema's types there.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = new Ajv({ ...common, coerceTypes: false });
  const coercing = new Ajv({ ...common, coerceTypes: 'array' });
  addFormats.default(strict);
  addFormats.default(coercing);
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}
