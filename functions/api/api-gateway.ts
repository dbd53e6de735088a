/** API Gateway HTTP API (payload v2) events ↔ the API core's request and response. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiRequest, ApiResponse } from './api-types.js';

export function apiRequestFromEvent(event: APIGatewayProxyEventV2): ApiRequest {
  const { stage, http, requestId } = event.requestContext;
  let path = event.rawPath || http.path;
  // A named stage prefixes the path (`/prod/v1/health`); `$default` does not.
  if (stage !== '$default' && (path === `/${stage}` || path.startsWith(`/${stage}/`))) {
    path = path.slice(stage.length + 1) || '/';
  }
  const body =
    event.body === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    method: http.method,
    path,
    query: event.queryStringParameters ?? {},
    headers: event.headers ?? {},
    body,
    requestId,
  };
}

export function apiGatewayResult(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.status,
    headers: { ...response.headers },
    body: response.body,
    ...(response.isBase64Encoded === true ? { isBase64Encoded: true } : {}),
  };
}
