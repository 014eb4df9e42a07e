import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { loadConfig } from '../../../src/config';
import { BadDataError, BadInputError, ConfigError, TransientError } from '../../../src/core/errors';
import { openCog, readWindow } from '../../../src/core/raster/cog-reader';
import type { Datalake, DatalakeObject } from '../../../src/store/datalake/datalake';
import { openCheckedDatalake } from '../../../src/store/datalake/open-datalake';
import { S3Datalake, type S3DatalakeOptions } from '../../../src/store/datalake/s3-datalake';
import { createS3Client } from '../../../src/store/sources/s3-source';
import { FIXTURES, gdalValuesAt } from '../../core/raster/gdal';
import { startVersitygw, type Versitygw } from '../../helpers/versitygw';
import { answer, type ScriptedServer, startScriptedServer } from '../sources/scripted-server';

const MiB = 1024 * 1024;
/** S3's smallest part size, so multipart tests need only a few MiB. */
const SMALL_PARTS = { partSize: 5 * MiB, multipartThreshold: 5 * MiB };

async function listAll(lake: Datalake, prefix: string): Promise<DatalakeObject[]> {
  const out: DatalakeObject[] = [];
  for await (const object of lake.list(prefix)) out.push(object);
  return out;
}

/** Records the name of every command the client sends (once per command, retries included). */
function recordCommands(client: S3Client): string[] {
  const seen: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      seen.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return seen;
}

const count = (seen: string[], name: string) => seen.filter((s) => s === name).length;

/** Sets (or, for undefined, removes) environment variables while `fn` runs. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

describe('S3Datalake against a real S3 server (versitygw)', function () {
  this.timeout(120_000);
  let gw: Versitygw;
  let prefixCounter = 0;
  const clients: S3Client[] = [];
  const lakes: S3Datalake[] = [];

  before(async () => {
    gw = await startVersitygw();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    for (const lake of lakes.splice(0)) await lake.close();
  });
  after(async () => gw?.stop());

  /** A client of the server, for tests that watch or disturb what the datalake sends. */
  const testClient = () => {
    const client = createS3Client({
      endpoint: gw.endpoint,
      region: gw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    });
    clients.push(client);
    return client;
  };
  /** A datalake under a prefix of its own, so tests never see each other's objects. */
  const openLake = (options: Partial<S3DatalakeOptions> = {}) => {
    const lake = new S3Datalake({
      bucket: gw.bucket,
      prefix: `lake${prefixCounter++}`,
      endpoint: gw.endpoint,
      region: gw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
      ...options,
    });
    lakes.push(lake);
    return lake;
  };
  /** Every object of the bucket under `prefix`, as the server itself lists them. */
  const bucketKeys = async (prefix: string) =>
    (
      await gw.client.send(new ListObjectsV2Command({ Bucket: gw.bucket, Prefix: prefix }))
    ).Contents?.map((o) => `${o.Key}:${o.Size}`) ?? [];
  const pendingUploads = async (prefix: string) =>
    (await gw.client.send(new ListMultipartUploadsCommand({ Bucket: gw.bucket, Prefix: prefix })))
      .Uploads ?? [];

  it('stores a small object with one PUT under the prefix and returns the same bytes, size and existence', async () => {
    const client = testClient();
    const seen = recordCommands(client);
    const lake = openLake({ client });
    const whole = randomBytes(3000);
    // A view into a larger buffer: only its own bytes may be stored.
    const content = new Uint8Array(whole.buffer, whole.byteOffset + 1000, 1000);
    await lake.put('raw/29RKH/2020-02-19/S/g3/B04.tif', content);
    assert.deepEqual(seen, ['PutObjectCommand']);
    assert.deepEqual(await bucketKeys(`${lake.prefix}/`), [
      `${lake.prefix}/raw/29RKH/2020-02-19/S/g3/B04.tif:1000`,
    ]);
    assert.deepEqual(
      Buffer.from(await lake.get('raw/29RKH/2020-02-19/S/g3/B04.tif')),
      whole.subarray(1000, 2000),
    );
    assert.equal(await lake.size('raw/29RKH/2020-02-19/S/g3/B04.tif'), 1000);
    assert.equal(await lake.exists('raw/29RKH/2020-02-19/S/g3/B04.tif'), true);
    assert.equal(lake.url, `s3://${gw.bucket}/${lake.prefix}`);
  });

  it('says an object is missing: no size, not existing, and a BadDataError naming the key on get', async () => {
    const lake = openLake();
    await lake.put('raw/x', new Uint8Array([1, 2, 3]));
    assert.equal(await lake.size('raw/x/B04.tif'), undefined);
    assert.equal(await lake.exists('raw/x/B04.tif'), false, 'a key under an object is no object');
    assert.equal(await lake.exists('raw'), false, 'a prefix of keys is no object');
    await assert.rejects(lake.get('raw/x/B04.tif'), (error: unknown) => {
      assert.ok(error instanceof BadDataError, `got ${error}`);
      assert.equal(error.code, 'DATALAKE_MISSING');
      assert.ok(error.message.includes('raw/x/B04.tif'));
      assert.ok(error.message.includes(lake.url));
      return true;
    });
    await assert.rejects(lake.put('../escape', new Uint8Array(1)), BadInputError);
  });

  it('uploads a large object in parts, reads back every byte, and leaves no upload behind', async () => {
    const client = testClient();
    const seen = recordCommands(client);
    const lake = openLake({ client, ...SMALL_PARTS });
    // Random bytes: parts stored in the wrong order or twice could not give them back.
    const content = randomBytes(12 * MiB + 123);
    await lake.put('clean/big.tif', content);
    assert.equal(count(seen, 'CreateMultipartUploadCommand'), 1);
    assert.equal(count(seen, 'UploadPartCommand'), 3, '5 MiB + 5 MiB + 2 MiB');
    assert.equal(count(seen, 'CompleteMultipartUploadCommand'), 1);
    assert.equal(count(seen, 'PutObjectCommand'), 0);
    assert.ok(Buffer.from(await lake.get('clean/big.tif')).equals(content));
    assert.equal(await lake.size('clean/big.tif'), content.byteLength);
    assert.deepEqual(await pendingUploads(`${lake.prefix}/`), []);
    // Written again, smaller: the key now holds the new object only.
    await lake.put('clean/big.tif', content.subarray(0, 10));
    assert.ok(Buffer.from(await lake.get('clean/big.tif')).equals(content.subarray(0, 10)));
  });

  it('lists the objects under a prefix in key order, relative to the datalake, across pages', async () => {
    const client = testClient();
    const seen = recordCommands(client);
    const lake = openLake({ client, listPageSize: 2 });
    const before = Date.now() - 5000;
    for (const key of ['raw/30AAA/k3', 'a/x', 'raw/29RKX/k2', 'a-b/x', 'a.b', 'raw/29RKH/k1']) {
      await lake.put(key, new Uint8Array(key.length));
    }
    // Objects of others: beside the prefix (same leading characters), and a name no key can have.
    for (const foreign of [`${lake.prefix}-other/raw/x`, `outside/raw/x`, `${lake.prefix}/.tmp`]) {
      await gw.client.send(new PutObjectCommand({ Bucket: gw.bucket, Key: foreign, Body: 'x' }));
    }
    seen.length = 0;
    const all = await listAll(lake, '');
    // S3 order: '-' (0x2d) < '.' (0x2e) < '/' (0x2f).
    assert.deepEqual(
      all.map((o) => o.key),
      ['a-b/x', 'a.b', 'a/x', 'raw/29RKH/k1', 'raw/29RKX/k2', 'raw/30AAA/k3'],
    );
    assert.ok(count(seen, 'ListObjectsV2Command') >= 4, `7 objects, 2 per page: ${seen}`);
    for (const object of all) {
      assert.equal(object.size, object.key.length);
      assert.ok(object.modified.getTime() >= before && object.modified.getTime() <= Date.now());
    }
    assert.deepEqual(
      (await listAll(lake, 'raw/29R')).map((o) => o.key),
      ['raw/29RKH/k1', 'raw/29RKX/k2'],
    );
    assert.deepEqual(
      (await listAll(lake, 'raw/29RKH/')).map((o) => o.key),
      ['raw/29RKH/k1'],
    );
    assert.deepEqual(await listAll(lake, 'clean/'), []);
    await assert.rejects(listAll(lake, '/abs'), BadInputError);
  });

  it('deletes the existing objects among the keys in batches of 1000 and counts them', async () => {
    const client = testClient();
    const seen = recordCommands(client);
    const lake = openLake({ client });
    await lake.put('raw/t/g1/B04.tif', new Uint8Array(10));
    await lake.put('raw/t/g1/B08.tif', new Uint8Array(10));
    await lake.put('raw/t/g2/B04.tif', new Uint8Array(10));
    const outside = `${lake.prefix}-other/raw/t/g1/B04.tif`;
    await gw.client.send(new PutObjectCommand({ Bucket: gw.bucket, Key: outside, Body: 'x' }));
    // B04 of g1 first, 999 missing keys, then B08: the two existing ones fall in two batches.
    const missing = Array.from({ length: 999 }, (_, i) => `raw/t/none/k${i}`);
    const keys = ['raw/t/g1/B04.tif', ...missing, 'raw/t/g1/B08.tif', 'raw/t/g1/B04.tif'];
    seen.length = 0;
    assert.equal(await lake.delete(keys), 2);
    assert.equal(count(seen, 'DeleteObjectsCommand'), 2);
    assert.deepEqual(
      (await listAll(lake, '')).map((o) => o.key),
      ['raw/t/g2/B04.tif'],
    );
    assert.deepEqual(await bucketKeys(outside), [`${outside}:1`], 'outside the prefix: untouched');
    assert.equal(await lake.delete(['raw/t/g1/B04.tif']), 0);
    assert.equal(await lake.delete([]), 0);
    // A bad key anywhere stops the whole delete before anything goes.
    await assert.rejects(lake.delete(['raw/t/g2/B04.tif', 'raw//x']), BadInputError);
    assert.equal(await lake.exists('raw/t/g2/B04.tif'), true);
  });

  it('serves ranged reads of an object to the COG reader, pixels as GDAL reads them', async () => {
    const lake = openLake();
    const key = 'raw/29RKH/2020-02-19/S2A_29RKH_20200219_0_L2A/g0/B04.tif';
    const cogBytes = readFileSync(join(FIXTURES, 'B04.tif'));
    await lake.put(key, cogBytes);
    const source = lake.source(key);
    try {
      assert.ok(source.url.endsWith(`${lake.prefix}/${key}`));
      assert.deepEqual(await source.fetch(100, 50), new Uint8Array(cogBytes.subarray(100, 150)));
      const cog = await openCog(source);
      assert.equal(cog.grid.epsg, 32629);
      const points: Array<[number, number]> = [
        [0, 0],
        [517, 3],
        [700, 900],
        [1097, 1097],
      ];
      const values = [];
      for (const [col, row] of points) {
        values.push((await readWindow(cog, { col, row, width: 1, height: 1 }))[0]);
      }
      assert.deepEqual(values, gdalValuesAt(join(FIXTURES, 'B04.tif'), 1, points));
    } finally {
      await source.close();
    }
    const missing = lake.source('raw/none.tif');
    await assert.rejects(missing.fetch(0, 10), { name: 'BadDataError', code: 'DATALAKE_MISSING' });
  });

  it('opens from DATALAKE_URL with the credentials of the standard AWS variables', async () => {
    const env = {
      DATALAKE_URL: `s3://${gw.bucket}/from-env/lake/`,
      S3_ENDPOINT: gw.endpoint,
      AWS_REGION: gw.region,
    };
    await withEnv(
      {
        AWS_ACCESS_KEY_ID: gw.accessKeyId,
        AWS_SECRET_ACCESS_KEY: gw.secretAccessKey,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
      },
      async () => {
        const lake = await openCheckedDatalake(loadConfig(env).datalake);
        assert.ok(lake instanceof S3Datalake);
        lakes.push(lake);
        assert.equal(lake.url, `s3://${gw.bucket}/from-env/lake`);
        await lake.put('raw/k', new Uint8Array([7, 8, 9]));
        assert.deepEqual(await lake.get('raw/k'), new Uint8Array([7, 8, 9]));
      },
    );
    assert.deepEqual(await bucketKeys('from-env/'), ['from-env/lake/raw/k:3']);
  });

  it('reports rejected credentials as a ConfigError naming DATALAKE_URL and the credential variables', async () => {
    const lake = openLake({
      credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: 'wrong-secret' },
    });
    const rejected = (code: string) => (error: unknown) => {
      assert.ok(error instanceof ConfigError, `got ${error}`);
      assert.equal(error.code, code);
      assert.ok(error.message.includes(`DATALAKE_URL=${lake.url}`), error.message);
      assert.match(error.message, /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      return true;
    };
    await assert.rejects(lake.assertReachable(), rejected('DATALAKE_S3_CREDENTIALS'));
    await assert.rejects(lake.put('raw/k', new Uint8Array(3)), rejected('DATALAKE_S3_CREDENTIALS'));
    await assert.rejects(lake.get('raw/k'), rejected('DATALAKE_S3_CREDENTIALS'));
    // HEAD answers carry no error code: a refusal, with the same settings to check.
    await assert.rejects(lake.exists('raw/k'), rejected('DATALAKE_S3_ACCESS_DENIED'));
  });

  it('reports missing credentials as a ConfigError naming the variables to set', async () => {
    await withEnv(
      {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_CONFIG_FILE: join(FIXTURES, 'no-such-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(FIXTURES, 'no-such-aws-credentials'),
        // No instance-metadata lookup: this machine is no EC2 instance.
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      async () => {
        const lake = openLake({ credentials: undefined });
        await assert.rejects(lake.assertReachable(), (error: unknown) => {
          assert.ok(error instanceof ConfigError, `got ${error}`);
          assert.equal(error.code, 'DATALAKE_S3_NO_CREDENTIALS');
          assert.match(error.message, /no AWS credentials found/);
          assert.match(error.message, /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
          return true;
        });
      },
    );
  });

  it('reports a missing bucket as a ConfigError saying to create it', async () => {
    const lake = openLake({ bucket: 'parcelwatch-no-such-bucket' });
    const noBucket = (error: unknown) => {
      assert.ok(error instanceof ConfigError, `got ${error}`);
      assert.equal(error.code, 'DATALAKE_S3_NO_BUCKET');
      assert.match(error.message, /bucket parcelwatch-no-such-bucket does not exist/);
      assert.match(
        error.message,
        /create it \(e\.g\. `aws s3 mb s3:\/\/parcelwatch-no-such-bucket/,
      );
      return true;
    };
    await assert.rejects(lake.assertReachable(), noBucket);
    await assert.rejects(lake.put('raw/k', new Uint8Array(3)), noBucket);
    const config = loadConfig({
      DATALAKE_URL: 's3://parcelwatch-no-such-bucket/x',
      S3_ENDPOINT: gw.endpoint,
      AWS_REGION: gw.region,
    });
    await withEnv(
      { AWS_ACCESS_KEY_ID: gw.accessKeyId, AWS_SECRET_ACCESS_KEY: gw.secretAccessKey },
      () => assert.rejects(openCheckedDatalake(config.datalake), noBucket),
    );
  });

  it('aborts the upload when a part fails, keeping the previous object and no part', async () => {
    const client = testClient();
    let parts = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand' && ++parts === 2) {
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failSecondPart' },
    );
    const lake = openLake({ client, ...SMALL_PARTS, partConcurrency: 1 });
    const previous = randomBytes(1000);
    await lake.put('clean/k.tif', previous);
    await assert.rejects(lake.put('clean/k.tif', randomBytes(11 * MiB)), (error: unknown) => {
      assert.ok(error instanceof TransientError, `got ${error}`);
      assert.equal(error.code, 'DATALAKE_S3_TRANSIENT');
      assert.match(error.message, /clean\/k\.tif/);
      return true;
    });
    assert.equal(parts, 2, 'no part was started after the failure');
    assert.deepEqual(await pendingUploads(`${lake.prefix}/`), []);
    assert.ok(Buffer.from(await lake.get('clean/k.tif')).equals(previous));
  });

  it('survives the server killed mid-upload: a TransientError, no truncated object, then a full retry', async () => {
    const client = testClient();
    let crashed = false;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        // The first part has landed; the server dies with the others in flight or stored.
        if (context.commandName === 'UploadPartCommand' && !crashed) {
          crashed = true;
          await gw.kill();
        }
        return result;
      },
      { step: 'initialize', name: 'crashAfterFirstPart' },
    );
    const lake = openLake({ client, ...SMALL_PARTS });
    const previous = randomBytes(2000);
    await lake.put('raw/k.tif', previous);
    const content = randomBytes(17 * MiB + 5);
    let restarted = false;
    try {
      await assert.rejects(lake.put('raw/k.tif', content), (error: unknown) => {
        assert.ok(error instanceof TransientError, `got ${error}`);
        assert.match(error.message, /raw\/k\.tif/);
        return true;
      });
      assert.ok(crashed);
      await gw.restart();
      restarted = true;
      // The interrupted upload is still on the server (its abort could not get through), but
      // what a reader sees is the previous object, whole.
      assert.equal((await pendingUploads(`${lake.prefix}/`)).length, 1);
      assert.deepEqual(await bucketKeys(`${lake.prefix}/`), [`${lake.prefix}/raw/k.tif:2000`]);
      assert.ok(Buffer.from(await lake.get('raw/k.tif')).equals(previous));
      // The activity's retry: the whole object, and the interrupted upload aborted first.
      await lake.put('raw/k.tif', content);
      assert.ok(Buffer.from(await lake.get('raw/k.tif')).equals(content));
      assert.deepEqual(await pendingUploads(`${lake.prefix}/`), []);
    } finally {
      if (!restarted) await gw.restart();
    }
  });

  it('aborts an upload a dead writer left of the same key once it is stale, not before', async () => {
    // A writer that died after one part: its upload stays open on the server.
    const objectKeyOf = (lake: S3Datalake) => `${lake.prefix}/clean/k.tif`;
    const abandon = async (key: string) => {
      const { UploadId } = await gw.client.send(
        new CreateMultipartUploadCommand({ Bucket: gw.bucket, Key: key }),
      );
      await gw.client.send(
        new UploadPartCommand({
          Bucket: gw.bucket,
          Key: key,
          UploadId,
          PartNumber: 1,
          Body: randomBytes(5 * MiB),
        }),
      );
      return UploadId;
    };
    const patient = openLake({ ...SMALL_PARTS });
    const young = await abandon(objectKeyOf(patient));
    await patient.put('clean/k.tif', randomBytes(6 * MiB));
    assert.deepEqual(
      (await pendingUploads(objectKeyOf(patient))).map((u) => u.UploadId),
      [young],
      'a young upload may be a concurrent writer’s: left alone',
    );

    const eager = openLake({ ...SMALL_PARTS, staleUploadMs: 0 });
    await abandon(objectKeyOf(eager));
    const content = randomBytes(6 * MiB);
    await eager.put('clean/k.tif', content);
    assert.deepEqual(await pendingUploads(objectKeyOf(eager)), []);
    const stored = await gw.client.send(
      new GetObjectCommand({ Bucket: gw.bucket, Key: objectKeyOf(eager) }),
    );
    assert.ok(Buffer.from(await stored.Body!.transformToByteArray()).equals(content));
  });
});

describe('S3Datalake against a failing server', function () {
  this.timeout(30_000);
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const lakeAt = (endpoint: string) =>
    new S3Datalake({
      bucket: 'bucket',
      prefix: 'p',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'ak', secretAccessKey: 'sk' },
    });
  const s3Error = (status: number, code: string) =>
    answer(
      status,
      { 'content-type': 'application/xml' },
      `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${code} here</Message></Error>`,
    );

  it('gives up on persistent SlowDown with a TransientError once the SDK’s retries are spent', async () => {
    server = await startScriptedServer([s3Error(503, 'SlowDown')]);
    const lake = lakeAt(server.url);
    try {
      await assert.rejects(lake.put('raw/k.tif', new Uint8Array(10)), (error: unknown) => {
        assert.ok(error instanceof TransientError, `got ${error}`);
        assert.equal(error.code, 'DATALAKE_S3_TRANSIENT');
        assert.match(error.message, /SlowDown/);
        return true;
      });
      assert.equal(server.seen.length, 3, 'the SDK tried three times');
      assert.ok(server.seen.every((r) => r.method === 'PUT' && r.url.startsWith('/bucket/p/raw/')));
    } finally {
      await lake.close();
    }
  });

  it('reports a 500 and an unreachable server as TransientErrors', async () => {
    server = await startScriptedServer([s3Error(500, 'InternalError')]);
    const lake = lakeAt(server.url);
    try {
      await assert.rejects(lake.get('raw/k.tif'), {
        name: 'TransientError',
        code: 'DATALAKE_S3_TRANSIENT',
      });
    } finally {
      await lake.close();
    }
    const url = server.url;
    await server.close();
    server = undefined;
    const gone = lakeAt(url);
    try {
      await assert.rejects(gone.exists('raw/k.tif'), (error: unknown) => {
        assert.ok(error instanceof TransientError, `got ${error}`);
        assert.match(error.message, /ECONNREFUSED/);
        return true;
      });
    } finally {
      await gone.close();
    }
  });
});

describe('S3Datalake settings', () => {
  it('refuses a prefix no key could live under, naming DATALAKE_URL', () => {
    assert.throws(
      () => new S3Datalake({ bucket: 'b', prefix: 'a//b' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.code === 'DATALAKE_S3_BAD_PREFIX' &&
        error.message.includes('DATALAKE_URL=s3://b/a//b'),
    );
  });

  it('refuses parts smaller than S3 accepts', () => {
    assert.throws(() => new S3Datalake({ bucket: 'b', partSize: 1024 }), RangeError);
  });
});
