import assert from 'node:assert/strict';
import { loadConfig } from '../src/config';
import { ConfigError } from '../src/core/errors';

const cwd = '/srv/app';

describe('configuration', () => {
  it('runs the demo with no settings: embedded database, local Temporal, Earth Search, file datalake', () => {
    const config = loadConfig({}, cwd);
    assert.equal(config.database.embedded, true);
    assert.equal(config.database.url, 'postgres://postgres@127.0.0.1:54329/postgres');
    assert.equal(config.database.schema, 'parcelwatch');
    assert.equal(config.temporal.address, '127.0.0.1:7233');
    assert.equal(config.stac.url, 'https://earth-search.aws.element84.com/v1');
    assert.deepEqual(config.datalake, {
      kind: 'file',
      url: 'file:///srv/app/.parcelwatch/datalake',
      root: '/srv/app/.parcelwatch/datalake',
    });
    assert.deepEqual(config.science.validSclClasses, [4, 5, 6, 7]);
  });

  it('follows the dev-stack ports into the default addresses', () => {
    const config = loadConfig(
      { PARCELWATCH_PG_PORT: '6000', PARCELWATCH_TEMPORAL_PORT: '7300' },
      cwd,
    );
    assert.equal(config.database.url, 'postgres://postgres@127.0.0.1:6000/postgres');
    assert.equal(config.temporal.address, '127.0.0.1:7300');
  });

  it('reads an S3 datalake with its endpoint, region and path style', () => {
    const config = loadConfig(
      {
        DATALAKE_URL: 's3://lake/env/prod/',
        S3_ENDPOINT: 'http://127.0.0.1:7070',
        AWS_REGION: 'eu-west-3',
      },
      cwd,
    );
    assert.deepEqual(config.datalake, {
      kind: 's3',
      url: 's3://lake/env/prod/',
      bucket: 'lake',
      prefix: 'env/prod',
      endpoint: 'http://127.0.0.1:7070',
      region: 'eu-west-3',
      forcePathStyle: true,
    });
  });

  it('takes a plain folder as a filesystem datalake relative to the working directory', () => {
    const config = loadConfig({ DATALAKE_URL: 'data/lake' }, cwd);
    assert.equal(config.datalake.kind, 'file');
    assert.equal(config.datalake.kind === 'file' && config.datalake.root, '/srv/app/data/lake');
  });

  it('rejects an unknown URL scheme naming the variable and the accepted schemes', () => {
    assert.throws(
      () => loadConfig({ DATALAKE_URL: 'ftp://host/lake' }, cwd),
      (error: unknown) =>
        error instanceof ConfigError &&
        /DATALAKE_URL=ftp:\/\/host\/lake has an unsupported scheme "ftp:"; use file:\/\/ or s3:\/\//.test(
          error.message,
        ),
    );
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://db/x' }, cwd),
      /DATABASE_URL=mysql:\/\/db\/x has an unsupported scheme/,
    );
    assert.throws(
      () => loadConfig({ STAC_API_URL: 'earth-search' }, cwd),
      /STAC_API_URL=earth-search is not a URL/,
    );
  });

  it('reports every problem at once, each with its variable', () => {
    try {
      loadConfig(
        {
          TEMPORAL_ADDRESS: 'localhost',
          PARCELWATCH_OK_THRESHOLD: '1.5',
          PARCELWATCH_GROUP_MAX_PARCELS: 'many',
          PARCELWATCH_VALID_SCL: '4,5,12',
          PARCELWATCH_DB_SCHEMA: 'Bad-Name',
        },
        cwd,
      );
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /TEMPORAL_ADDRESS=localhost is not host:port/);
      assert.match(
        error.message,
        /PARCELWATCH_OK_THRESHOLD=1\.5 is out of range; use a number in \[0, 1\]/,
      );
      assert.match(error.message, /PARCELWATCH_GROUP_MAX_PARCELS=many is not an integer/);
      assert.match(error.message, /PARCELWATCH_VALID_SCL: "12" is not an SCL class/);
      assert.match(error.message, /PARCELWATCH_DB_SCHEMA=Bad-Name is not a valid schema name/);
    }
  });

  it('refuses the public schema: parcelwatch keeps a schema of its own', () => {
    assert.throws(
      () => loadConfig({ PARCELWATCH_DB_SCHEMA: 'public' }, cwd),
      /PARCELWATCH_DB_SCHEMA=public is refused/,
    );
  });

  it('rejects booleans and ports it cannot read', () => {
    assert.throws(
      () => loadConfig({ S3_FORCE_PATH_STYLE: 'maybe', DATALAKE_URL: 's3://b' }, cwd),
      /S3_FORCE_PATH_STYLE=maybe is not a boolean/,
    );
    assert.throws(
      () => loadConfig({ PARCELWATCH_PG_PORT: '70000' }, cwd),
      /PARCELWATCH_PG_PORT=70000 is out of range/,
    );
    assert.throws(() => loadConfig({ DATALAKE_URL: 's3:///prefix' }, cwd), /names no bucket/);
  });
});
