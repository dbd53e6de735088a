import { CatalogError } from '../../../shared/catalog/catalog.js';
import { catalogToDocument, parseCatalog } from '../../../shared/catalog/load-catalog.js';
import { ApiError, invalidInput, jsonResponse } from '../api-error.js';
import { type RouteHandler, readJsonBody } from '../route-context.js';

/** `GET /v1/health` (no auth). */
export const getHealth: RouteHandler = async ({ deps }) => {
  const active = await deps.config.activeCatalog();
  return jsonResponse(200, { status: 'ok', catalogVersion: active?.version ?? null });
};

/** `POST /v1/catalog`: validate and publish a catalog document; it becomes active. */
export const postCatalog: RouteHandler = async ({ request, deps }) => {
  const document = readJsonBody(request);
  let catalog: ReturnType<typeof parseCatalog>;
  try {
    catalog = parseCatalog(document);
  } catch (error) {
    if (error instanceof CatalogError) throw invalidInput('invalid_catalog', 'invalid catalog', error.issues);
    throw error;
  }
  const result = await deps.config.publishCatalog(catalog);
  return jsonResponse(result.created ? 201 : 200, {
    version: result.version,
    hash: result.hash,
    created: result.created,
  });
};

/** `GET /v1/catalog`: the active version and its document. */
export const getCatalog: RouteHandler = async ({ deps }) => {
  const active = await deps.config.activeCatalog();
  if (active === undefined) {
    throw new ApiError(404, 'no_active_catalog', 'catalog: no catalog has been published yet', 'catalog');
  }
  return jsonResponse(200, {
    version: active.version,
    hash: active.hash,
    publishedAt: active.publishedAt,
    document: catalogToDocument(active.catalog),
  });
};

/** `GET /v1/catalog/versions`: every published version, newest first. */
export const listCatalogVersions: RouteHandler = async ({ deps }) => {
  const versions = await deps.config.listCatalogVersions();
  return jsonResponse(200, { versions: [...versions].sort((a, b) => b.version - a.version) });
};

const VERSION_PATTERN = /^[1-9]\d{0,8}$/;

/** `POST /v1/catalog/versions/{version}/activate`: make a published version active (rollback). */
export const activateCatalogVersion: RouteHandler = async ({ deps, params }) => {
  const text = params.version ?? '';
  if (!VERSION_PATTERN.test(text)) {
    throw new ApiError(
      400,
      'invalid_version',
      `version: must be a catalog version number, not "${text}"`,
      'version',
    );
  }
  const version = Number(text);
  const stored = await deps.config.catalogVersion(version);
  if (stored === undefined) {
    throw new ApiError(
      404,
      'unknown_catalog_version',
      `version: catalog version ${version} does not exist`,
      'version',
    );
  }
  await deps.config.activateCatalog(version);
  return jsonResponse(200, { version, hash: stored.hash, active: true });
};
