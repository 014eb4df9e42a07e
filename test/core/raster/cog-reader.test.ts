import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadDataError } from '../../../src/core/errors';
import {
  fetchTiles,
  openCog,
  readTilesDecoded,
  readWindow,
  tileLayout,
} from '../../../src/core/raster/cog-reader';
import { CountingSource } from '../../../src/core/raster/counting-source';
import type { ByteSource } from '../../../src/core/raster/source';
import { decodeTile } from '../../../src/core/raster/tile-decode';
import { FileSource } from '../../../src/store/sources/file-source';
import { makeSample, patchedCopy, type Sample, sampleWindow } from './cog-samples';
import {
  FIXTURES,
  gdalBandBytes,
  gdalValuesAt,
  randomSequence,
  run,
  tempDir,
  tiffTags,
} from './gdal';

const BANDS = ['B04', 'B08', 'B11', 'SCL'];

async function withCog<T>(
  path: string,
  use: (cog: Awaited<ReturnType<typeof openCog>>) => Promise<T>,
) {
  const source = new FileSource(path);
  try {
    return await use(await openCog(source));
  } finally {
    await source.close();
  }
}

/** GDAL's decoding of a band, as the typed array our reader returns for that type. */
function gdalPixels(path: string, band: number, bytesPerSample: number): number[] {
  const bytes = gdalBandBytes(path, band);
  const copy = new Uint8Array(bytes).buffer;
  return Array.from(bytesPerSample === 1 ? new Uint8Array(copy) : new Uint16Array(copy));
}

describe('COG reader on the real Sentinel-2 fixtures', () => {
  for (const band of BANDS) {
    it(`${band}: values at 60 sampled pixels equal gdallocationinfo`, async () => {
      const path = join(FIXTURES, `${band}.tif`);
      await withCog(path, async (cog) => {
        const random = randomSequence(band.charCodeAt(1) * 31 + band.length);
        const points: Array<[number, number]> = [
          [0, 0],
          [cog.width - 1, 0],
          [0, cog.height - 1],
          [cog.width - 1, cog.height - 1],
        ];
        while (points.length < 60) {
          points.push([Math.floor(random() * cog.width), Math.floor(random() * cog.height)]);
        }
        const expected = gdalValuesAt(path, 1, points);
        const actual: number[] = [];
        for (const [col, row] of points) {
          actual.push((await readWindow(cog, { col, row, width: 1, height: 1 }))[0]);
        }
        assert.deepEqual(actual, expected);
        assert.ok(new Set(expected).size > 1, 'the sample covers more than one value');
      });
    });

    it(`${band}: the whole band equals GDAL's pixel dump`, async () => {
      const path = join(FIXTURES, `${band}.tif`);
      await withCog(path, async (cog) => {
        const pixels = await readWindow(cog, {
          col: 0,
          row: 0,
          width: cog.width,
          height: cog.height,
        });
        const expected = gdalPixels(path, 1, cog.bitsPerSample / 8);
        assert.equal(pixels.length, expected.length);
        const firstDifference = expected.findIndex((v, i) => pixels[i] !== v);
        assert.equal(firstDifference, -1, `pixel ${firstDifference} differs from GDAL's`);
      });
    });
  }

  it('an overview equals the pixels GDAL reads from that overview', async () => {
    const path = join(FIXTURES, 'B04.tif');
    await withCog(path, async (cog) => {
      const overview = cog.overviews[0];
      const pixels = await readWindow(overview, {
        col: 0,
        row: 0,
        width: overview.width,
        height: overview.height,
      });
      const tmp = tempDir();
      try {
        const out = join(tmp.dir, 'ovr.bin');
        run('gdal_translate', ['-q', '-of', 'ENVI', '-oo', 'OVERVIEW_LEVEL=0', path, out]);
        const ovr = Array.from(new Uint16Array(new Uint8Array(readFileSync(out)).buffer));
        assert.equal(ovr.length, 549 * 549, 'GDAL read the first overview');
        const firstDifference = ovr.findIndex((v, i) => pixels[i] !== v);
        assert.equal(firstDifference, -1, `overview pixel ${firstDifference} differs from GDAL's`);
      } finally {
        tmp.remove();
      }
    });
  });

  it('reading tiles reads exactly the header plus those tiles’ bytes', async () => {
    const path = join(FIXTURES, 'B04.tif');
    const { tags } = tiffTags(path);
    const offsets = tags['324'].values!;
    const counts = tags['325'].values!;
    const source = new CountingSource(new FileSource(path));
    try {
      const cog = await openCog(source);
      assert.equal(source.requests, 1);
      const headerBytes = source.bytes;
      const wanted = [0, 4, 5, 8, 4];
      const tiles = await fetchTiles(cog, wanted);
      const unique = [...new Set(wanted)];
      const tileBytes = unique.reduce((sum, t) => sum + counts[t], 0);
      assert.equal(source.bytes, headerBytes + tileBytes);
      // Requests: one per run of tiles stored back to back in the file.
      const sorted = unique.sort((a, b) => offsets[a] - offsets[b]);
      const runs = sorted.filter(
        (t, i) => i === 0 || offsets[sorted[i - 1]] + counts[sorted[i - 1]] !== offsets[t],
      );
      assert.equal(source.requests, 1 + runs.length);
      assert.deepEqual([...tiles.keys()].sort(), [0, 4, 5, 8]);
      for (const t of unique) assert.equal(tiles.get(t)?.byteLength, counts[t]);
    } finally {
      await source.close();
    }
  });

  it('decodes fetched tiles to the pixels GDAL reads in them', async () => {
    const path = join(FIXTURES, 'SCL.tif');
    await withCog(path, async (cog) => {
      const tiles = await readTilesDecoded(cog, [3]);
      const tile = tiles.get(3)!;
      assert.equal(tile.length, cog.tileWidth * cog.tileHeight);
      // Tile 3 is the bottom-right one: image pixels from (512, 512); 37 × 37 of it lie inside.
      const points: Array<[number, number]> = [
        [512, 512],
        [548, 512],
        [520, 530],
        [548, 548],
      ];
      const expected = gdalValuesAt(path, 1, points);
      assert.deepEqual(
        points.map(([c, r]) => tile[(r - 512) * cog.tileWidth + (c - 512)]),
        expected,
      );
    });
  });
});

describe('COG reader on rasters GDAL wrote from known values', () => {
  const tmp = tempDir();
  after(() => tmp.remove());

  const deflateCog = (predictor: string) => [
    ...[
      '-of',
      'COG',
      '-co',
      'BLOCKSIZE=128',
      '-co',
      'COMPRESS=DEFLATE',
      '-co',
      `PREDICTOR=${predictor}`,
    ],
  ];
  const tiledGtiff = (...options: string[]) => [
    ...['-co', 'TILED=YES', '-co', 'BLOCKXSIZE=64', '-co', 'BLOCKYSIZE=32'],
    ...options.flatMap((o) => ['-co', o]),
  ];
  const cases: Array<{
    name: string;
    make: () => Sample;
    expect: Partial<Awaited<ReturnType<typeof openCog>>>;
  }> = [
    {
      name: 'uint16, DEFLATE + predictor 2 (the Earth Search layout)',
      make: () =>
        makeSample(
          tmp.dir,
          'u16',
          { width: 300, height: 200, type: 'uint16' },
          deflateCog('STANDARD'),
        ),
      expect: { dataType: 'uint16', predictor: 2, compression: 'deflate' },
    },
    {
      name: 'uint8, predictor 2',
      make: () =>
        makeSample(
          tmp.dir,
          'u8',
          { width: 300, height: 200, type: 'uint8' },
          deflateCog('STANDARD'),
        ),
      expect: { dataType: 'uint8', predictor: 2 },
    },
    {
      name: 'int16 with negative values, predictor 2',
      make: () =>
        makeSample(
          tmp.dir,
          'i16',
          { width: 300, height: 200, type: 'int16' },
          deflateCog('STANDARD'),
        ),
      expect: { dataType: 'int16', predictor: 2 },
    },
    {
      name: 'uint32, predictor 2',
      make: () =>
        makeSample(
          tmp.dir,
          'u32',
          { width: 300, height: 200, type: 'uint32' },
          deflateCog('STANDARD'),
        ),
      expect: { dataType: 'uint32', predictor: 2 },
    },
    {
      name: 'int32, predictor 2',
      make: () =>
        makeSample(
          tmp.dir,
          'i32',
          { width: 300, height: 200, type: 'int32' },
          deflateCog('STANDARD'),
        ),
      expect: { dataType: 'int32', predictor: 2 },
    },
    {
      name: 'float32, floating-point predictor 3',
      make: () =>
        makeSample(
          tmp.dir,
          'f32',
          { width: 300, height: 200, type: 'float32' },
          deflateCog('FLOATING_POINT'),
        ),
      expect: { dataType: 'float32', predictor: 3 },
    },
    {
      name: 'uncompressed',
      make: () =>
        makeSample(
          tmp.dir,
          'raw',
          { width: 300, height: 200, type: 'uint16' },
          tiledGtiff('COMPRESS=NONE'),
        ),
      expect: { compression: 'none', predictor: 1 },
    },
    {
      name: 'three samples interleaved per pixel, predictor 2',
      make: () =>
        makeSample(
          tmp.dir,
          'pixel',
          { width: 200, height: 100, bands: 3, type: 'uint16' },
          tiledGtiff('INTERLEAVE=PIXEL', 'COMPRESS=DEFLATE', 'PREDICTOR=2'),
        ),
      expect: { samplesPerPixel: 3, planarConfiguration: 'chunky' },
    },
    {
      name: 'three samples in separate planes',
      make: () =>
        makeSample(
          tmp.dir,
          'planar',
          { width: 200, height: 100, bands: 3, type: 'uint16' },
          tiledGtiff('INTERLEAVE=BAND', 'COMPRESS=DEFLATE', 'PREDICTOR=2'),
        ),
      expect: { samplesPerPixel: 3, planarConfiguration: 'planar' },
    },
    {
      name: 'big-endian int16, predictor 2',
      make: () =>
        makeSample(
          tmp.dir,
          'big-endian',
          { width: 300, height: 200, type: 'int16' },
          tiledGtiff('ENDIANNESS=BIG', 'COMPRESS=DEFLATE', 'PREDICTOR=2'),
        ),
      expect: { littleEndian: false, dataType: 'int16' },
    },
    {
      name: 'BigTIFF',
      make: () =>
        makeSample(tmp.dir, 'bigtiff', { width: 300, height: 200, type: 'uint16' }, [
          ...deflateCog('STANDARD'),
          '-co',
          'BIGTIFF=YES',
        ]),
      expect: { dataType: 'uint16' },
    },
  ];

  for (const { name, make, expect } of cases) {
    it(`${name}: whole image and a window across tile edges equal the written values`, async () => {
      const sample = make();
      await withCog(sample.path, async (cog) => {
        for (const [key, value] of Object.entries(expect)) {
          assert.equal(cog[key as keyof typeof cog], value, key);
        }
        const whole = await readWindow(cog, {
          col: 0,
          row: 0,
          width: sample.width,
          height: sample.height,
        });
        assert.deepEqual(Array.from(whole), sample.values);
        const window = { col: 50, row: 20, width: 101, height: 70 };
        const part = await readWindow(cog, window);
        assert.deepEqual(Array.from(part), sampleWindow(sample, window));
      });
    });
  }

  it('sparse tiles read as nodata without any request', async () => {
    const path = join(tmp.dir, 'sparse.tif');
    run('gdal_create', [
      ...['-q', '-outsize', '256', '256', '-ot', 'UInt16', '-a_srs', 'EPSG:32631'],
      ...['-a_ullr', '0', '2560', '2560', '0', '-a_nodata', '7', '-co', 'TILED=YES'],
      ...['-co', 'SPARSE_OK=TRUE', '-co', 'COMPRESS=DEFLATE', path],
    ]);
    const source = new CountingSource(new FileSource(path));
    try {
      const cog = await openCog(source);
      assert.ok(
        Array.from(cog.tileByteCounts).every((c) => c === 0),
        'GDAL left every tile sparse',
      );
      source.reset();
      const pixels = await readWindow(cog, { col: 10, row: 250, width: 20, height: 6 });
      assert.equal(source.requests, 0);
      assert.deepEqual(new Set(pixels), new Set(gdalValuesAt(path, 1, [[15, 252]])));
      assert.deepEqual(new Set(pixels), new Set([7]));
    } finally {
      await source.close();
    }
  });

  it('a tile with flipped bytes fails as corrupt, naming the file and the tile', async () => {
    const fixture = join(FIXTURES, 'B04.tif');
    const { tags } = tiffTags(fixture);
    const tile = 4;
    const start = tags['324'].values![tile] + 1000;
    const path = patchedCopy(fixture, join(tmp.dir, 'corrupt.tif'), (bytes) => {
      for (let i = start; i < start + 64; i++) bytes[i] ^= 0x5a;
    });
    await withCog(path, async (cog) => {
      await assert.rejects(readTilesDecoded(cog, [tile]), (error: unknown) => {
        assert.ok(error instanceof BadDataError);
        assert.equal(error.code, 'COG_TILE_CORRUPT');
        assert.ok(
          error.message.includes(path) && error.message.includes(`tile ${tile}`),
          error.message,
        );
        return true;
      });
      // The other tiles still read.
      assert.equal((await readTilesDecoded(cog, [0])).get(0)?.length, 512 * 512);
    });
  });

  it('a cut file read through a source that does not know its size fails as a truncated tile', async () => {
    const fixture = join(FIXTURES, 'B04.tif');
    const path = patchedCopy(fixture, join(tmp.dir, 'cut.tif'), () => undefined);
    run('python3', ['-c', `import os; os.truncate(${JSON.stringify(path)}, 1_900_000)`]);
    const file = new FileSource(path);
    const sizeless: ByteSource = { url: file.url, fetch: (o, l, opts) => file.fetch(o, l, opts) };
    try {
      const cog = await openCog(sizeless);
      // Tile 5 starts at 1 926 096: wholly past the cut. Tile 4 (1 996 497) too; tile 3 spans it.
      const spanning = Array.from(cog.tileOffsets).findIndex(
        (o, t) => o < 1_900_000 && o + cog.tileByteCounts[t] > 1_900_000,
      );
      assert.ok(spanning >= 0, 'some tile spans the cut');
      await assert.rejects(fetchTiles(cog, [spanning]), (error: unknown) => {
        assert.ok(error instanceof BadDataError);
        assert.equal(error.code, 'COG_TILE_TRUNCATED');
        assert.match(
          error.message,
          new RegExp(`tile ${spanning} is truncated \\(got \\d+ of \\d+ bytes\\)`),
        );
        assert.ok(error.message.includes(path));
        return true;
      });
    } finally {
      await file.close();
    }
  });

  it('tile layouts carry what a worker needs and decode the fetched bytes alone', async () => {
    const sample = makeSample(
      tmp.dir,
      'layout',
      { width: 256, height: 128, type: 'uint16' },
      deflateCog('STANDARD'),
    );
    await withCog(sample.path, async (cog) => {
      const bytes = (await fetchTiles(cog, [1])).get(1)!;
      const layout = structuredClone(tileLayout(cog, 1));
      const tile = decodeTile(bytes, layout);
      assert.deepEqual(Array.from(tile.subarray(0, 128)), sample.values.slice(128, 256));
    });
  });

  it('refuses a window outside the image', async () => {
    await withCog(join(FIXTURES, 'SCL.tif'), async (cog) => {
      await assert.rejects(
        readWindow(cog, { col: 500, row: 0, width: 100, height: 1 }),
        RangeError,
      );
    });
  });

  it('stops when the caller aborts', async () => {
    await withCog(join(FIXTURES, 'SCL.tif'), async (cog) => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(fetchTiles(cog, [0], { signal: controller.signal }), {
        name: 'AbortError',
      });
    });
  });
});
