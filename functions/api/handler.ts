import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { awsApiDeps } from '../composition/aws-api.js';
import { apiGatewayResult, apiRequestFromEvent } from './api-gateway.js';
import { handleApiRequest } from './handle-api-request.js';

const deps = awsApiDeps();

/** API Gateway HTTP API (payload v2) → the API core. */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  apiGatewayResult(await handleApiRequest(apiRequestFromEvent(event), deps));
