import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { useDatabaseUrl } from './app.js';

/**
 * The URL of a real service for the services tier, from FIELDLINE_TEST_*_URL. Under CI=true a missing one is
 * a failure (the tier must not pass by running nothing); elsewhere the tier is skipped with a visible reason.
 */
export function serviceUrl(
  variable: 'FIELDLINE_TEST_PG_URL' | 'FIELDLINE_TEST_REDIS_URL' | 'FIELDLINE_TEST_MQTT_URL',
): string | undefined {
  const url = process.env[variable];
  if (!url && process.env.CI === 'true') {
    it(`needs ${variable} (CI=true)`, () => {
      throw new Error(`${variable} is not set: the services tier cannot run without it`);
    });
  }
  return url || undefined;
}

/** Title suffix that says why a services test did not run. */
export const unlessSet = (variable: string, url: string | undefined) =>
  url ? '' : ` [skipped: ${variable} is not set]`;

/**
 * A fresh PostgreSQL schema for one test file, so files and runs never see each other's rows. Returns a URL
 * whose connections use that schema, and a function that drops it.
 */
export async function freshPgSchema(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `fl_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const u = new URL(baseUrl);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

/**
 * Runs a shared API suite (test/suites/) against PostgreSQL: a fresh schema for the file, every app the suite
 * starts pointed at it, dropped afterwards. Without FIELDLINE_TEST_PG_URL the suite is skipped with the reason
 * in its title (and fails under CI=true).
 */
export function onPostgres(name: string, suite: () => void): void {
  const base = serviceUrl('FIELDLINE_TEST_PG_URL');
  if (!base) {
    describe.skipIf(true)(`${name} on PostgreSQL [skipped: FIELDLINE_TEST_PG_URL is not set]`, () => {});
    return;
  }
  let drop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const schema = await freshPgSchema(base);
    drop = schema.drop;
    useDatabaseUrl(schema.url);
  });
  afterAll(async () => {
    useDatabaseUrl(undefined);
    await drop();
  });
  suite();
}
