import type { OpenAPIObject } from '@nestjs/swagger';

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * @nestjs/swagger writes `nullable: true` (OpenAPI 3.0) even when the document says 3.1, where
 * JSON Schema's own null type replaces it: `type: [T, "null"]`, or `oneOf` with `{type: "null"}`
 * around a reference. Also gives operations that share an id (one handler on two paths) ids of their own.
 */
export function toOpenApi31(document: OpenAPIObject): OpenAPIObject {
  const fix = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fix);
    if (!isNode(value)) return value;
    const out: Node = {};
    for (const [k, v] of Object.entries(value)) out[k] = fix(v);
    if (out.nullable === undefined) return out;
    const nullable = out.nullable === true;
    delete out.nullable;
    if (!nullable) return out;
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    if (Array.isArray(out.type)) {
      if (!out.type.includes('null')) out.type = [...out.type, 'null'];
      return out;
    }
    // A reference or a composition: the value is either that, or null.
    const { description, example, ...schema } = out;
    return { ...(description !== undefined ? { description } : {}), ...(example !== undefined ? { example } : {}), oneOf: [schema, { type: 'null' }] };
  };
  const fixed = fix(document) as OpenAPIObject;
  const seen = new Map<string, number>();
  for (const item of Object.values(fixed.paths)) {
    for (const operation of Object.values(item as Node)) {
      if (!isNode(operation) || typeof operation.operationId !== 'string') continue;
      const n = (seen.get(operation.operationId) ?? 0) + 1;
      seen.set(operation.operationId, n);
      if (n > 1) operation.operationId = `${operation.operationId}_${n}`;
    }
  }
  return fixed;
}
