import type { INestApplication } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { toOpenApi31 } from './openapi-31';

export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'openapi.json';

const DESCRIPTION = `An event-sourced subscription ledger, wire-compatible with Adapty's server-side API v2 (and the legacy v1 paths).

Every API operation needs \`Authorization: Api-Key <secret>\`; a key belongs to one app and never reaches another app's data.
Errors use Adapty's envelope: \`{"errors":[{"source":…,"errors":[…]}],"error_code":…,"status_code":…}\`.
The health probes, \`/metrics\` (bearer token when METRICS_TOKEN is set), this document and \`/docs\` need no key.`;

/** The OpenAPI 3.1 document of every route, generated from the controllers and DTOs. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Subscription ledger')
    .setDescription(DESCRIPTION)
    .setVersion('2')
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addSecurity('Api-Key', {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: 'The word `Api-Key`, a space, and the app\'s secret key: `Authorization: Api-Key secret_live_…`',
    })
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when set' }, 'metrics-token')
    .build();
  return describeResponses(toOpenApi31(SwaggerModule.createDocument(app, config)));
}

const REASONS = new Map(Object.entries(STATUS_CODES));

/** Responses documented by type alone get their status's reason phrase as description. */
function describeResponses(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<{ responses?: Record<string, { description?: string }> }>) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        if (!response.description) response.description = REASONS.get(status) ?? status;
      }
    }
  }
  return document;
}

/** `GET /openapi.json` and Swagger UI at `GET /docs`; neither needs a key. */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Subscription ledger API',
  });
}
