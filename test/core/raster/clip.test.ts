import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clipToTiles } from '../../../src/core/raster/clip';
import { type Cog, openCog, readWindow } from '../../../src/core/raster/cog-reader';
import { CountingSource } from '../../../src/core/raster/counting-source';
import { FileSource } from '../../../src/store/sources/file-source';
import { makeSample, SAMPLE_ORIGIN, type Sample } from './cog-samples';
import { FIXTURES, gdalBandBytes, gdalinfo, gdalValuesAt, run, tempDir, tiffTags } from './gdal';

interface GdalInfoFull {
  coordinateSystem: { wkt: string };
  metadata: Record<string, Record<string, string>>;
}

function gdalinfoFull(path: string): GdalInfoFull {
  return JSON.parse(run('gdalinfo', ['-json', path])) as GdalInfoFull;
}

async function open(path: string): Promise<{ cog: Cog; source: CountingSource }> {
  const source = new CountingSource(new FileSource(path));
  return { cog: await openCog(source), source };
}

describe('clipToTiles', () => {
  let tmp: ReturnType<typeof tempDir>;
  const sources: CountingSource[] = [];
  before(() => {
    tmp = tempDir('parcelwatch-clip-');
  });
  after(async () => {
    await Promise.all(sources.map((s) => s.close()));
    tmp.remove();
  });

  async function opened(path: string) {
    const result = await open(path);
    sources.push(result.source);
    return result;
  }

  describe('the real 29RKH B04 (1098 px, 512 px tiles, DEFLATE) clipped to its tiles 4 and 8', () => {
    const provider = join(FIXTURES, 'B04.tif');
    let cog: Cog;
    let out: string;
    let headerBytes: number;
    let source: CountingSource;
    let clip: Awaited<ReturnType<typeof clipToTiles>>;

    before(async () => {
      ({ cog, source } = await opened(provider));
      headerBytes = source.bytes;
      source.reset();
      // Tile 4 is the centre, tile 8 the bottom-right edge tile (74 px wide and high).
      clip = await clipToTiles(cog, [8, 4, 4], { maxGapBytes: 0 });
      out = join(tmp.dir, 'B04-clip.tif');
      writeFileSync(out, clip.bytes);
    });

    it('covers the two tiles’ bounding rectangle, with the provider’s CRS, block size and compression', () => {
      const info = gdalinfo(out);
      const full = gdalinfoFull(out);
      assert.deepEqual(info.size, [1098 - 512, 1098 - 512]);
      assert.deepEqual(info.geoTransform, [
        199980 + 512 * 100,
        100,
        0,
        2800020 - 512 * 100,
        0,
        -100,
      ]);
      assert.match(full.coordinateSystem.wkt, /ID\["EPSG",32629\]\]$/);
      assert.deepEqual(info.bands[0]!.block, [512, 512]);
      assert.equal(info.bands[0]!.type, 'UInt16');
      assert.equal(info.bands[0]!.noDataValue, 0);
      assert.equal(full.metadata.IMAGE_STRUCTURE!.COMPRESSION, 'DEFLATE');
      assert.equal(full.metadata.IMAGE_STRUCTURE!.LAYOUT, 'COG');
      // The provider has no predictor; the copy must not claim one.
      assert.equal(full.metadata.IMAGE_STRUCTURE!.PREDICTOR, undefined);
      assert.deepEqual(clip.grid, {
        epsg: 32629,
        originX: 199980 + 51200,
        originY: 2800020 - 51200,
        pixelWidth: 100,
        pixelHeight: 100,
        width: 586,
        height: 586,
      });
      assert.deepEqual(clip.window, { col: 512, row: 512, width: 586, height: 586 });
    });

    it('gives GDAL the provider’s values in the copied tiles and nodata in the sparse ones', () => {
      const copied: Array<[number, number]> = [
        [0, 0],
        [511, 511],
        [200, 333],
        [512, 512],
        [585, 585],
        [530, 570],
      ];
      const got = gdalValuesAt(out, 1, copied);
      const expected = gdalValuesAt(
        provider,
        1,
        copied.map(([c, r]) => [c + 512, r + 512]),
      );
      assert.deepEqual(got, expected);
      assert.ok(
        expected.some((v) => v !== 0),
        'the sampled provider pixels hold data',
      );
      // Tiles 5 and 7 of the provider (top-right and bottom-left of the rectangle) were not asked for.
      const sparse: Array<[number, number]> = [
        [520, 10],
        [585, 511],
        [10, 520],
        [511, 585],
      ];
      assert.deepEqual(gdalValuesAt(out, 1, sparse), [0, 0, 0, 0]);
      const providerThere = gdalValuesAt(
        provider,
        1,
        sparse.map(([c, r]) => [c + 512, r + 512]),
      );
      assert.ok(
        providerThere.every((v) => v !== 0),
        'the provider has data where the clip is sparse',
      );
    });

    it('stores the needed tiles byte for byte and declares the others sparse', () => {
      const tags = tiffTags(out).tags;
      const offsets = tags['324']!.values!;
      const counts = tags['325']!.values!;
      assert.deepEqual(
        counts.map((c) => c === 0),
        [false, true, true, false],
      );
      assert.deepEqual([offsets[1], offsets[2]], [0, 0]);
      const clipped = readFileSync(out);
      const original = readFileSync(provider);
      for (const [outTile, providerTile] of [
        [0, 4],
        [3, 8],
      ] as const) {
        const start = cog.tileOffsets[providerTile]!;
        const length = cog.tileByteCounts[providerTile]!;
        assert.equal(counts[outTile], length);
        assert.ok(
          clipped
            .subarray(offsets[outTile], offsets[outTile]! + length)
            .equals(original.subarray(start, start + length)),
          `tile ${outTile} is provider tile ${providerTile} verbatim`,
        );
      }
    });

    it('reads from the provider exactly the needed tiles, each once, after the header', () => {
      const needed = cog.tileByteCounts[4]! + cog.tileByteCounts[8]!;
      assert.equal(source.bytes, needed);
      assert.equal(clip.bytesRead, needed);
      assert.equal(clip.tilesRead, 2);
      assert.ok(headerBytes > 0 && headerBytes <= 64 * 1024, `header ${headerBytes} bytes`);
    });

    it('reads back through our reader as the provider’s pixels, nodata in sparse tiles', async () => {
      const { cog: clipped } = await opened(out);
      assert.deepEqual(clipped.grid, clip.grid);
      const all = await readWindow(clipped, { col: 0, row: 0, width: 586, height: 586 });
      const centre = await readWindow(cog, { col: 512, row: 512, width: 512, height: 512 });
      const corner = await readWindow(cog, { col: 1024, row: 1024, width: 74, height: 74 });
      for (let r = 0; r < 586; r++) {
        for (let c = 0; c < 586; c++) {
          const got = all[r * 586 + c];
          let expected = 0;
          if (r < 512 && c < 512) expected = centre[r * 512 + c]!;
          else if (r >= 512 && c >= 512) expected = corner[(r - 512) * 74 + (c - 512)]!;
          if (got !== expected) assert.fail(`pixel ${c},${r}: ${got} vs ${expected}`);
        }
      }
    });
  });

  describe('a GDAL COG with predictor 2 and 256 px tiles (1000 × 700, 4 × 3 tiles)', () => {
    let sample: Sample;
    let cog: Cog;
    before(async () => {
      sample = makeSample(tmp.dir, 'p2', { width: 1000, height: 700, type: 'uint16' }, [
        '-of',
        'COG',
        '-co',
        'COMPRESS=DEFLATE',
        '-co',
        'PREDICTOR=2',
        '-co',
        'BLOCKSIZE=256',
        '-a_nodata',
        '0',
      ]);
      ({ cog } = await opened(sample.path));
      assert.equal(cog.predictor, 2);
    });

    it('keeps DEFLATE + predictor 2, and every pixel GDAL reads is the provider’s or nodata', async () => {
      // Tiles 1 (row 0, col 1), 6 (row 1, col 2) and 11 (row 2, col 3, the bottom-right edge tile).
      const clip = await clipToTiles(cog, new Set([1, 6, 11]));
      const out = join(tmp.dir, 'p2-clip.tif');
      writeFileSync(out, clip.bytes);
      const info = gdalinfo(out);
      const full = gdalinfoFull(out);
      assert.deepEqual(info.size, [1000 - 256, 700]);
      const { x, y, pixel } = SAMPLE_ORIGIN;
      assert.deepEqual(info.geoTransform, [x + 256 * pixel, pixel, 0, y, 0, -pixel]);
      assert.match(full.coordinateSystem.wkt, /ID\["EPSG",32631\]\]$/);
      assert.deepEqual(info.bands[0]!.block, [256, 256]);
      assert.equal(full.metadata.IMAGE_STRUCTURE!.COMPRESSION, 'DEFLATE');
      assert.equal(full.metadata.IMAGE_STRUCTURE!.PREDICTOR, '2');

      const pixels = new Uint16Array(gdalBandBytes(out, 1).buffer.slice(0));
      const width = 744;
      const kept = new Set([1, 6, 11]);
      let checked = 0;
      for (let r = 0; r < 700; r++) {
        for (let c = 0; c < width; c++) {
          const providerCol = c + 256;
          const tile = Math.floor(r / 256) * 4 + Math.floor(providerCol / 256);
          const expected = kept.has(tile) ? sample.values[r * 1000 + providerCol]! : 0;
          if (pixels[r * width + c] !== expected) {
            assert.fail(
              `pixel ${c},${r}: GDAL reads ${pixels[r * width + c]}, expected ${expected}`,
            );
          }
          checked++;
        }
      }
      assert.equal(checked, 744 * 700);
    });

    it('joins file-adjacent tiles into one request by default, reading at most their 8-byte frames between them', async () => {
      const counting = new CountingSource(cog.source);
      const clip = await clipToTiles({ ...cog, source: counting }, [0, 1, 2, 3]);
      const tileBytes = [0, 1, 2, 3].reduce((sum, t) => sum + cog.tileByteCounts[t]!, 0);
      assert.equal(counting.requests, 1);
      assert.ok(
        clip.bytesRead >= tileBytes && clip.bytesRead <= tileBytes + 3 * 8,
        `${clip.bytesRead} bytes for ${tileBytes} bytes of tiles`,
      );
    });

    it('copies uncompressed tiles too', async () => {
      const raw = join(tmp.dir, 'none.tif');
      run('gdal_translate', [
        '-q',
        '-of',
        'COG',
        '-co',
        'COMPRESS=NONE',
        '-co',
        'BLOCKSIZE=256',
        sample.path,
        raw,
      ]);
      const { cog: plain } = await opened(raw);
      assert.equal(plain.compression, 'none');
      const clip = await clipToTiles(plain, [5]);
      const out = join(tmp.dir, 'none-clip.tif');
      writeFileSync(out, clip.bytes);
      assert.deepEqual(gdalinfo(out).size, [256, 256]);
      const points: Array<[number, number]> = [
        [0, 0],
        [255, 255],
        [17, 200],
      ];
      assert.deepEqual(
        gdalValuesAt(out, 1, points),
        points.map(([c, r]) => sample.values[(r + 256) * 1000 + c + 256]),
      );
    });
  });

  describe('refusals', () => {
    it('refuses a big-endian COG with a BadDataError naming the file', async () => {
      const sample = makeSample(tmp.dir, 'be', { width: 300, height: 300, type: 'uint16' }, [
        '-of',
        'GTiff',
        '-co',
        'TILED=YES',
        '-co',
        'ENDIANNESS=BIG',
        '-co',
        'COMPRESS=DEFLATE',
      ]);
      const { cog } = await opened(sample.path);
      assert.equal(cog.littleEndian, false);
      await assert.rejects(
        clipToTiles(cog, [0]),
        (error: Error) =>
          error.name === 'BadDataError' &&
          error.message.includes(cog.source.url) &&
          /big-endian/.test(error.message),
      );
    });

    it('refuses a COG with several samples per pixel', async () => {
      const sample = makeSample(
        tmp.dir,
        'rgb',
        { width: 300, height: 300, bands: 3, type: 'uint8' },
        ['-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKSIZE=256'],
      );
      const { cog } = await opened(sample.path);
      await assert.rejects(clipToTiles(cog, [0]), /3 samples per pixel/);
    });

    it('refuses an empty tile set and tiles outside the image with a BadInputError', async () => {
      const { cog } = await opened(join(FIXTURES, 'SCL.tif'));
      await assert.rejects(clipToTiles(cog, []), { name: 'BadInputError', code: 'CLIP_NO_TILES' });
      await assert.rejects(clipToTiles(cog, [4]), { name: 'BadInputError', code: 'CLIP_BAD_TILE' });
      await assert.rejects(clipToTiles(cog, [1.5]), { name: 'BadInputError' });
    });
  });
});
