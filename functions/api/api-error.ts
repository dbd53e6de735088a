/**
 * Errors the API answers with, and the JSON it answers with. Every error body is
 * `{ "error": { "code", "message", "field"?, "issues"? } }`; `code` is stable snake_case.
 */
import type { ConfigIssue } from '../../shared/catalog/catalog.js';
import type { ApiResponse } from './api-types.js';

/** Bodies above this many bytes are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly issues?: readonly ConfigIssue[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): ApiResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(error: ApiError): ApiResponse {
  return jsonResponse(
    error.status,
    {
      error: {
        code: error.code,
        message: error.message,
        ...(error.field === undefined ? {} : { field: error.field }),
        ...(error.issues === undefined ? {} : { issues: error.issues }),
      },
    },
    error.headers,
  );
}

export function payloadTooLarge(): ApiError {
  return new ApiError(
    413,
    'payload_too_large',
    `body: must be at most ${MAX_BODY_BYTES} bytes (1 MiB)`,
    'body',
  );
}

/** `issues` as one message: the first issue, and how many more there are. */
export function issuesMessage(title: string, issues: readonly ConfigIssue[]): string {
  const line = (issue: ConfigIssue) =>
    issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
  const first = issues[0];
  if (first === undefined) return title;
  return issues.length === 1
    ? `${title}: ${line(first)}`
    : `${title}: ${line(first)} (and ${issues.length - 1} more)`;
}

/** A 400 for invalid input, naming the first issue's field. */
export function invalidInput(code: string, title: string, issues: readonly ConfigIssue[]): ApiError {
  const field = issues[0]?.path;
  return new ApiError(
    400,
    code,
    issuesMessage(title, issues),
    field === '' || field === undefined ? 'body' : field,
    issues,
  );
}
