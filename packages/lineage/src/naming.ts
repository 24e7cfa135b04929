import { InvalidLineageInputError } from './errors.ts';
import type { FacetOptions } from './facets/base.ts';
import { facetUrl, stamp } from './facets/base.ts';
import type { DatasourceDatasetFacet } from './facets/dataset.ts';

/** A dataset's identity in OpenLineage: the data source (`namespace`) and the dataset within it (`name`). */
export interface DatasetRef {
  namespace: string;
  name: string;
}

/**
 * Connection settings as pg (and most drivers) take them. Only `host`, `port` and `database` are ever read into
 * lineage; `user`, `password` and query parameters are ignored, so credentials cannot leak.
 */
export interface ConnectionSettings {
  connectionString?: string;
  host?: string;
  port?: number | string;
  database?: string;
  [other: string]: unknown;
}

/** A table: `'schema.table'`, `'table'` (schema `public`), or `{ schema, name }`. */
export type TableName = string | { schema?: string; name: string };

interface Endpoint {
  host: string;
  port: number;
  database: string | undefined;
}

function parseUrl(text: string, field: string): URL {
  try {
    return new URL(text);
  } catch {
    // Never echo the string: it may hold a password.
    throw new InvalidLineageInputError(field, 'a URL such as postgres://host:5432/db', '(an unparseable URL)');
  }
}

function endpointOf(settings: string | ConnectionSettings, defaultPort: number, field: string): Endpoint {
  const conf: ConnectionSettings = typeof settings === 'string' ? { connectionString: settings } : { ...settings };
  if (conf === null || typeof conf !== 'object')
    throw new InvalidLineageInputError(field, 'connection settings', settings);
  let host = typeof conf.host === 'string' ? conf.host : undefined;
  let port = conf.port === undefined ? undefined : Number(conf.port);
  let database = typeof conf.database === 'string' ? conf.database : undefined;
  if (typeof conf.connectionString === 'string') {
    const url = parseUrl(conf.connectionString, field);
    const hostParam = url.searchParams.get('host');
    host = decodeURIComponent(url.hostname) || hostParam || host;
    if (url.port) port = Number(url.port);
    const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (path) database = path;
    const dbParam = url.searchParams.get('dbname') ?? url.searchParams.get('database');
    if (dbParam) database = dbParam;
  }
  // A socket directory or an absent host is the local server; several hosts (failover lists) name the first.
  let h = (host ?? 'localhost').split(',')[0]!.trim();
  if (h === '' || h.startsWith('/')) h = 'localhost';
  h = h.toLowerCase();
  if (h.includes(':') && !h.startsWith('[')) h = `[${h}]`;
  const p = port ?? defaultPort;
  if (!Number.isInteger(p) || p < 1 || p > 65535)
    throw new InvalidLineageInputError(`${field}.port`, 'a TCP port', conf.port);
  return { host: h, port: p, database };
}

function tableParts(table: TableName): { schema: string | undefined; name: string } {
  if (typeof table === 'string') {
    const dot = table.indexOf('.');
    const parts =
      dot < 0 ? { schema: undefined, name: table } : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
    if (parts.name === '' || parts.schema === '')
      throw new InvalidLineageInputError('table', "'schema.table' or 'table'", table);
    return parts;
  }
  if (typeof table?.name !== 'string' || table.name === '') {
    throw new InvalidLineageInputError('table.name', 'a non-empty string', table?.name);
  }
  return { schema: table.schema, name: table.name };
}

/** `postgres://host:port` for a PostgreSQL server (default port 5432), from a connection string or pg config. */
export function postgresNamespace(connection: string | ConnectionSettings): string {
  const { host, port } = endpointOf(connection, 5432, 'connection');
  return `postgres://${host}:${port}`;
}

/**
 * A PostgreSQL table as an OpenLineage dataset: namespace `postgres://host:port`, name `database.schema.table`.
 * Credentials in the connection settings are never read.
 *
 * @example postgresDataset(process.env.PG_URL, 'public.orders') // { namespace: 'postgres://db:5432', name: 'shop.public.orders' }
 */
export function postgresDataset(connection: string | ConnectionSettings, table: TableName): DatasetRef {
  const { host, port, database } = endpointOf(connection, 5432, 'connection');
  if (!database) {
    throw new InvalidLineageInputError(
      'connection.database',
      'a database name (in the URL path or `database`)',
      database,
    );
  }
  const { schema, name } = tableParts(table);
  return { namespace: `postgres://${host}:${port}`, name: `${database}.${schema ?? 'public'}.${name}` };
}

/** A MySQL table: namespace `mysql://host:port` (default 3306), name `database.table`. */
export function mysqlDataset(connection: string | ConnectionSettings, table: string): DatasetRef {
  const { host, port, database } = endpointOf(connection, 3306, 'connection');
  if (!database) throw new InvalidLineageInputError('connection.database', 'a database name', database);
  if (typeof table !== 'string' || table === '')
    throw new InvalidLineageInputError('table', 'a non-empty string', table);
  return { namespace: `mysql://${host}:${port}`, name: `${database}.${table}` };
}

const BUCKET_SCHEMES = new Set(['s3', 's3a', 's3n', 'gs', 'gcs', 'abfs', 'abfss', 'wasbs']);

/**
 * A file or object location as an OpenLineage dataset: `s3://bucket/key` → (`s3://bucket`, `key`),
 * `file:///path` or `/path` → (`file`, `/path`), `kafka://broker:9092/topic` → (`kafka://broker:9092`, `topic`).
 * User info, query and fragment are dropped.
 */
export function datasetFromLocation(location: string): DatasetRef {
  if (typeof location !== 'string' || location === '')
    throw new InvalidLineageInputError('location', 'a URL or an absolute path', location);
  if (location.startsWith('/')) return { namespace: 'file', name: location };
  const url = parseUrl(location, 'location');
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const path = decodeURIComponent(url.pathname);
  if (scheme === 'file') return { namespace: 'file', name: path };
  if (BUCKET_SCHEMES.has(scheme)) return { namespace: `${scheme}://${url.hostname}`, name: path.replace(/^\//, '') };
  const authority = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  return { namespace: `${scheme}://${authority}`, name: path.replace(/^\//, '') || '/' };
}

/** The URL without user info, query string or fragment: what may be shown to a lineage backend. */
export function safeUri(url: string): string {
  const parsed = parseUrl(url, 'url');
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString();
}

/**
 * `dataSource` facet naming the data source, from a namespace or any URL (a connection string is fine: user
 * info, query and fragment are removed).
 */
export function dataSourceFacet(uri: string, options?: FacetOptions): DatasourceDatasetFacet {
  const safe = safeUri(uri);
  return { ...stamp(options, facetUrl('1-0-1', 'DatasourceDatasetFacet')), name: safe, uri: safe };
}
