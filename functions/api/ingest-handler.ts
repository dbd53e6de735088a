import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { awsIngestDeps } from '../composition/aws-ingest.js';
import { apiGatewayResult, apiRequestFromEvent } from './api-gateway.js';
import { handleIngestRequest } from './handle-ingest-request.js';

const deps = awsIngestDeps();

/** API Gateway HTTP API (payload v2), `POST /v1/events` → the ingest core. */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  apiGatewayResult(await handleIngestRequest(apiRequestFromEvent(event), deps));
