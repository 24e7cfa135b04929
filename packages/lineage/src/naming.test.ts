import { hasErrorCode } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import {
  dataSourceFacet,
  datasetFromLocation,
  mysqlDataset,
  postgresDataset,
  postgresNamespace,
  safeUri,
} from './naming.ts';
import { redactSecrets } from './redact.ts';

describe('postgres naming (OpenLineage conventions)', () => {
  it('postgres://host:port + database.schema.table from a connection string', () => {
    expect(postgresDataset('postgres://etl:s3cret@DB.Example.com:6543/shop?sslmode=require', 'sales.orders')).toEqual({
      namespace: 'postgres://db.example.com:6543',
      name: 'shop.sales.orders',
    });
    expect(postgresDataset('postgresql://db/shop', 'orders')).toEqual({
      namespace: 'postgres://db:5432',
      name: 'shop.public.orders',
    });
    expect(postgresDataset('postgres://[::1]:5432/shop', { schema: 'a', name: 'b' }).namespace).toBe(
      'postgres://[::1]:5432',
    );
  });

  it('from pg config objects, socket hosts, failover lists and dbname parameters', () => {
    expect(postgresDataset({ host: 'db', port: '5433', database: 'shop', user: 'u', password: 'p' }, 'x.y')).toEqual({
      namespace: 'postgres://db:5433',
      name: 'shop.x.y',
    });
    expect(postgresNamespace({ host: '/var/run/postgresql' })).toBe('postgres://localhost:5432');
    expect(postgresNamespace({})).toBe('postgres://localhost:5432');
    expect(postgresNamespace({ host: 'a,b' })).toBe('postgres://a:5432');
    expect(postgresNamespace({ host: '::1' })).toBe('postgres://[::1]:5432');
    expect(postgresDataset('postgres:///?host=/tmp&dbname=shop', 't').name).toBe('shop.public.t');
    expect(postgresDataset({ connectionString: 'postgres://h:1/db', database: 'other' }, 't').name).toBe('db.public.t');
  });

  it('refuses what cannot be named, without echoing the connection string', () => {
    const errorOf = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (e) {
        return e;
      }
    };
    const e1 = errorOf(() => postgresDataset('postgres://u:hunter2@host', 'orders'));
    expect(hasErrorCode(e1, 'PW_LINEAGE_INVALID_INPUT')).toBe(true);
    expect(String(e1)).toMatch(/database/);
    expect(String(e1)).not.toContain('hunter2');
    const e2 = errorOf(() => postgresNamespace('::not a url hunter2'));
    expect(String(e2)).not.toContain('hunter2');
    expect(() => postgresNamespace({ port: 70000 })).toThrow(/port/);
    expect(() => postgresDataset('postgres://h/db', '')).toThrow(/table/);
    expect(() => postgresDataset('postgres://h/db', 'a.')).toThrow(/table/);
    expect(() => postgresDataset('postgres://h/db', { name: '' })).toThrow(/table\.name/);
  });
});

describe('other sources', () => {
  it('mysql, s3, gcs, local files, kafka', () => {
    expect(mysqlDataset('mysql://root:pw@mysql:3307/shop', 'orders')).toEqual({
      namespace: 'mysql://mysql:3307',
      name: 'shop.orders',
    });
    expect(mysqlDataset({ host: 'm', database: 'd' }, 't').namespace).toBe('mysql://m:3306');
    expect(() => mysqlDataset({ host: 'm' }, 't')).toThrow(/database/);
    expect(() => mysqlDataset({ host: 'm', database: 'd' }, '')).toThrow(/table/);
    expect(datasetFromLocation('s3://KEY:SECRET@bucket/raw/orders.parquet?X-Amz-Signature=abc')).toEqual({
      namespace: 's3://bucket',
      name: 'raw/orders.parquet',
    });
    expect(datasetFromLocation('gs://b/x.csv')).toEqual({ namespace: 'gs://b', name: 'x.csv' });
    expect(datasetFromLocation('/data/in.csv')).toEqual({ namespace: 'file', name: '/data/in.csv' });
    expect(datasetFromLocation('file:///data/in%20x.csv')).toEqual({ namespace: 'file', name: '/data/in x.csv' });
    expect(datasetFromLocation('kafka://u:p@broker:9092/orders')).toEqual({
      namespace: 'kafka://broker:9092',
      name: 'orders',
    });
    expect(datasetFromLocation('https://api.example.com')).toEqual({ namespace: 'https://api.example.com', name: '/' });
    expect(() => datasetFromLocation('')).toThrow(/location/);
  });

  it('safeUri and dataSource drop user info, query and fragment', () => {
    expect(safeUri('postgres://u:p@h:1/db?password=x#f')).toBe('postgres://h:1/db');
    expect(dataSourceFacet('https://user:pw@api.example.com/v1?token=t')).toMatchObject({
      name: 'https://api.example.com/v1',
      uri: 'https://api.example.com/v1',
    });
  });
});

describe('redactSecrets', () => {
  it.each([
    ['connect to postgres://etl:hunter2@db:5432/shop failed', 'hunter2'],
    ['password=hunter2 host=db', 'hunter2'],
    ["PASSWORD: 'hunter2'", 'hunter2'],
    ['{"user":"etl","password":"hunter2"}', 'hunter2'],
    ['https://h/x?api_key=hunter2&b=1', 'hunter2'],
    ['Authorization: Bearer abcdef123456', 'abcdef123456'],
    ['redis://:hunter2@cache:6379', 'hunter2'],
    ['secret_key=hunter2;', 'hunter2'],
  ])('%s', (text, secret) => {
    const out = redactSecrets(text);
    expect(out).not.toContain(secret);
    expect(out.length).toBeGreaterThan(0);
  });

  it('leaves ordinary text alone', () => {
    expect(redactSecrets('duplicate key value violates unique constraint "orders_pkey"')).toBe(
      'duplicate key value violates unique constraint "orders_pkey"',
    );
  });
});
