import { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  /** The response body (the whole envelope) if worth documenting. */
  schema?: z.ZodType;
}

/** One declaration per route: validation and documentation both come from it. */
export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, H extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** Koa-router path with :params, e.g. /v1/messages/:id */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  operationId?: string;
  /** Default true: the route needs a Bearer API key. */
  auth?: boolean;
  params?: P;
  query?: Q;
  headers?: H;
  /** A JSON body is read and validated only when this is given. */
  body?: B;
  /** Whole-request byte limit for this route's body (default 1 MB + 64 KiB). */
  bodyLimitBytes?: number;
  responses: Record<number, ResponseSpec>;
}

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Transforms and the like have no JSON Schema; document them as "any" rather than fail.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header'): JsonSchema[] {
  if (schema === undefined) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

const errorEnvelope: JsonSchema = {
  type: 'object',
  required: ['error', 'meta'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
    },
    meta: { type: 'object', required: ['request_id'], properties: { request_id: { type: 'string', pattern: '^req_[0-9A-HJKMNP-TV-Z]{26}$' } } },
  },
};

/** Routes register here as they are defined; GET /openapi.json renders the document. */
export class OpenApiRegistry {
  private readonly routes: RouteSpec[] = [];

  add(spec: RouteSpec): void {
    this.routes.push(spec);
  }

  document(info: { title: string; version: string; description?: string }): JsonSchema {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.routes) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const responses: Record<string, unknown> = {};
      for (const [status, response] of Object.entries(route.responses)) {
        const schema = response.schema !== undefined ? jsonSchema(response.schema, 'output') : Number(status) >= 400 ? errorEnvelope : undefined;
        responses[status] = { description: response.description, ...(schema ? { content: { 'application/json': { schema } } } : {}) };
      }
      if (route.auth !== false && responses['401'] === undefined) {
        responses['401'] = { description: 'Invalid or missing API key', content: { 'application/json': { schema: errorEnvelope } } };
      }
      (paths[path] ??= {})[route.method] = {
        summary: route.summary,
        ...(route.description !== undefined ? { description: route.description } : {}),
        ...(route.operationId !== undefined ? { operationId: route.operationId } : {}),
        ...(route.tags !== undefined ? { tags: route.tags } : {}),
        ...(route.auth === false ? { security: [] } : {}),
        parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query'), ...parameters(route.headers, 'header')],
        ...(route.body !== undefined
          ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } }
          : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info,
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <api key>' } } },
      security: [{ apiKey: [] }],
      paths,
    };
  }
}

/**
 * The success envelope around a data schema, for a route's `responses` entry:
 * `responses: { 200: { description: 'The message', schema: successEnvelope(messageSchema) } }`.
 */
export function successEnvelope(data: z.ZodType, options: { message?: boolean; meta?: z.ZodRawShape } = {}): z.ZodType {
  return z.object({
    ...(options.message === true ? { message: z.string() } : {}),
    data,
    meta: z.object({ request_id: z.string().regex(/^req_[0-9A-HJKMNP-TV-Z]{26}$/), ...options.meta }),
  });
}
