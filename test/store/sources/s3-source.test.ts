import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BadDataError, BadInputError, ConfigError, TransientError } from '../../../src/core/errors';
import { openCog, readWindow } from '../../../src/core/raster/cog-reader';
import { CountingSource } from '../../../src/core/raster/counting-source';
import { parseS3Url, S3Source } from '../../../src/store/sources/s3-source';
import { FIXTURES, gdalValuesAt } from '../../core/raster/gdal';
import { startVersitygw, type Versitygw } from '../../helpers/versitygw';
import { answer, type ScriptedServer, serveRanges, startScriptedServer } from './scripted-server';

const FAST_RETRY = { retries: 1, baseDelayMs: 1, maxDelayMs: 1 };

describe('S3Source against a real S3 server (versitygw)', () => {
  let gw: Versitygw;
  const key = 'tiles/29/R/KH/2020/2/S2A_29RKH_20200219_0_L2A/B04.tif';
  const cogBytes = readFileSync(join(FIXTURES, 'B04.tif'));
  let url: string;
  const signed = () => ({
    endpoint: gw.endpoint,
    region: gw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    retry: FAST_RETRY,
  });

  before(async function () {
    this.timeout(30_000);
    gw = await startVersitygw();
    url = `s3://${gw.bucket}/${key}`;
    await gw.client.send(new PutObjectCommand({ Bucket: gw.bucket, Key: key, Body: cogBytes }));
  });
  after(async () => gw?.stop());

  it('reads a byte range of an object and learns its size', async () => {
    const source = new S3Source(url, signed());
    try {
      assert.deepEqual(
        await source.fetch(100_000, 4096),
        new Uint8Array(cogBytes.subarray(100_000, 104_096)),
      );
      assert.equal(await source.size(), cogBytes.byteLength);
      const tail = await source.fetch(cogBytes.byteLength - 10, 100);
      assert.equal(tail.byteLength, 10, 'a range past the end yields the bytes that exist');
      assert.equal((await source.fetch(cogBytes.byteLength + 5, 10)).byteLength, 0);
    } finally {
      await source.close();
    }
  });

  it('serves openCog: the pixels read over S3 equal GDAL’s, with a one-request header', async () => {
    const source = new CountingSource(new S3Source(url, signed()));
    try {
      const cog = await openCog(source);
      assert.equal(source.requests, 1);
      assert.equal(cog.grid.epsg, 32629);
      const points: Array<[number, number]> = [
        [0, 0],
        [517, 3],
        [700, 900],
        [1097, 1097],
      ];
      const values = [];
      for (const [col, row] of points)
        values.push((await readWindow(cog, { col, row, width: 1, height: 1 }))[0]);
      assert.deepEqual(values, gdalValuesAt(join(FIXTURES, 'B04.tif'), 1, points));
    } finally {
      await source.close();
    }
  });

  it('reports a missing key as a missing object naming the URL', async () => {
    const missing = `s3://${gw.bucket}/tiles/nothing-here.tif`;
    const source = new S3Source(missing, signed());
    try {
      await assert.rejects(source.fetch(0, 10), (error: unknown) => {
        assert.ok(error instanceof BadDataError);
        assert.equal(error.code, 'SOURCE_MISSING');
        assert.match(error.message, /missing object \(NoSuchKey\)/);
        assert.ok(error.message.includes(missing));
        return true;
      });
    } finally {
      await source.close();
    }
  });

  it('reports rejected credentials as a configuration error that says which settings to check', async () => {
    const source = new S3Source(url, {
      ...signed(),
      credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: 'wrong-secret' },
    });
    try {
      await assert.rejects(source.fetch(0, 10), (error: unknown) => {
        assert.ok(error instanceof ConfigError, `got ${error}`);
        assert.equal(error.code, 'S3_CREDENTIALS');
        assert.match(error.message, /credentials were rejected \(SignatureDoesNotMatch/);
        assert.match(error.message, /AWS_SECRET_ACCESS_KEY/);
        return true;
      });
    } finally {
      await source.close();
    }
  });

  it('reads a public bucket with unsigned requests', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: ['s3:GetObject'],
          Resource: [`arn:aws:s3:::${gw.bucket}/*`],
        },
      ],
    };
    const anonymous = new S3Source(url, {
      endpoint: gw.endpoint,
      forcePathStyle: true,
      unsigned: true,
      retry: { retries: 0 },
    });
    try {
      // Before the bucket is public the server refuses anonymous reads: the request was unsigned.
      await assert.rejects(anonymous.fetch(0, 8), {
        name: 'TransientError',
        code: 'S3_ACCESS_DENIED',
      });
      await gw.client.send(
        new PutBucketPolicyCommand({ Bucket: gw.bucket, Policy: JSON.stringify(policy) }),
      );
      assert.deepEqual(await anonymous.fetch(0, 8), new Uint8Array(cogBytes.subarray(0, 8)));
    } finally {
      await anonymous.close();
    }
  });
});

describe('S3Source against a scripted server', () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const body = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
  const options = () => ({
    endpoint: server!.url,
    forcePathStyle: true,
    credentials: { accessKeyId: 'ak', secretAccessKey: 'sk' },
    retry: FAST_RETRY,
  });
  const slowDown = answer(
    503,
    { 'content-type': 'application/xml' },
    '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
  );

  it('sends no Authorization header when unsigned', async () => {
    server = await startScriptedServer([serveRanges(body)]);
    const source = new S3Source('s3://bucket/key.tif', {
      endpoint: server.url,
      forcePathStyle: true,
      unsigned: true,
    });
    try {
      assert.deepEqual(await source.fetch(10, 5), body.subarray(10, 15));
      assert.equal(server.seen[0].headers.authorization, undefined);
      assert.equal(server.seen[0].headers.range, 'bytes=10-14');
    } finally {
      await source.close();
    }
  });

  it('rides out a 503 SlowDown through the SDK’s own retry', async () => {
    server = await startScriptedServer([slowDown, serveRanges(body)]);
    const source = new S3Source('s3://bucket/key.tif', options());
    try {
      assert.deepEqual(await source.fetch(0, 4), body.subarray(0, 4));
      assert.equal(server.seen.length, 2);
    } finally {
      await source.close();
    }
  });

  it('gives up on persistent throttling with a TransientError after the SDK’s and our retries', async () => {
    server = await startScriptedServer([slowDown]);
    const source = new S3Source('s3://bucket/key.tif', options());
    try {
      await assert.rejects(source.fetch(0, 4), (error: unknown) => {
        assert.ok(error instanceof TransientError);
        assert.match(error.message, /SlowDown.*gave up after 2 attempts/);
        return true;
      });
      // 3 SDK attempts in each of our 2 attempts.
      assert.equal(server.seen.length, 6);
    } finally {
      await source.close();
    }
  });
});

describe('parseS3Url', () => {
  it('splits bucket and key', () => {
    assert.deepEqual(parseS3Url('s3://sentinel-cogs/sentinel-s2-l2a-cogs/29/R/KH/B04.tif'), {
      bucket: 'sentinel-cogs',
      key: 'sentinel-s2-l2a-cogs/29/R/KH/B04.tif',
    });
  });

  it('refuses a URL without a key', () => {
    assert.throws(() => parseS3Url('s3://bucket-only'), BadInputError);
  });
});
