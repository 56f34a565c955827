import type { OpenAPIObject } from '@nestjs/swagger';

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * @nestjs/swagger writes `nullable: true` (OpenAPI 3.0) even when the document says 3.1, where
 * JSON Schema's own null type replaces it: `type: [T, "null"]`, or `oneOf` with `{type: "null"}`
 * around a reference. Also names the operations of a handler served on two paths `x` and `x_1`
 * (Nest names them `x[0]`, `x[1]`).
 */
export function toOpenApi31(document: OpenAPIObject): OpenAPIObject {
  const fix = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fix);
    if (!isNode(value)) return value;
    const out: Node = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fix(v)]));
    if (out.nullable === undefined) return out;
    const nullable = out.nullable === true;
    delete out.nullable;
    if (!nullable) return out;
    if (out.$ref !== undefined || out.allOf !== undefined || out.oneOf !== undefined) {
      // A reference or a composition (Nest adds `type: object` beside it): that, or null.
      const { description, example, type: _object, ...schema } = out;
      return { ...(description !== undefined ? { description } : {}), ...(example !== undefined ? { example } : {}), oneOf: [schema, { type: 'null' }] };
    }
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else if (Array.isArray(out.type) && !out.type.includes('null')) {
      out.type = [...out.type, 'null'];
    }
    return out;
  };
  const fixed = fix(document) as OpenAPIObject;
  for (const item of Object.values(fixed.paths)) {
    for (const operation of Object.values(item as Node)) {
      if (isNode(operation) && typeof operation.operationId === 'string') {
        operation.operationId = operation.operationId.replace(/\[0\]$/, '').replace(/\[(\d+)\]$/, '_$1');
      }
    }
  }
  return fixed;
}
