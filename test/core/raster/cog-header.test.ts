import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadDataError } from '../../../src/core/errors';
import { openCog } from '../../../src/core/raster/cog-reader';
import { CountingSource } from '../../../src/core/raster/counting-source';
import { geoTransform } from '../../../src/core/raster/grid';
import { FileSource } from '../../../src/store/sources/file-source';
import { makeSample, patchedCopy } from './cog-samples';
import { FIXTURES, gdalinfo, run, tempDir, tiffTags } from './gdal';

const BANDS = ['B04', 'B08', 'B11', 'SCL'];

async function open(path: string, headerBytes?: number) {
  const source = new CountingSource(new FileSource(path));
  try {
    const cog = await openCog(source, { headerBytes });
    return { cog, requests: source.requests };
  } finally {
    await source.close();
  }
}

/** Asserts that opening `path` fails with a BadDataError of `code` that names the file. */
async function assertRefused(path: string, code: string, mentions: RegExp[] = []): Promise<void> {
  await assert.rejects(open(path), (error: unknown) => {
    assert.ok(error instanceof BadDataError, `expected BadDataError, got ${error}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(path), `message names the file: ${error.message}`);
    for (const pattern of mentions) assert.match(error.message, pattern);
    return true;
  });
}

describe('openCog: header of the real Sentinel-2 fixtures', () => {
  for (const band of BANDS) {
    it(`${band}: size, tiles, CRS, geotransform, nodata and overviews match gdalinfo`, async () => {
      const path = join(FIXTURES, `${band}.tif`);
      const info = gdalinfo(path);
      const { cog } = await open(path);
      assert.deepEqual([cog.width, cog.height], info.size);
      assert.deepEqual([cog.tileWidth, cog.tileHeight], info.bands[0].block);
      assert.equal(cog.grid.epsg, info.stac?.['proj:epsg']);
      assert.deepEqual(geoTransform(cog.grid), info.geoTransform);
      assert.equal(cog.nodata, info.bands[0].noDataValue);
      assert.equal(cog.dataType, info.bands[0].type === 'Byte' ? 'uint8' : 'uint16');
      assert.deepEqual(
        cog.overviews.map((o) => [o.width, o.height]),
        (info.bands[0].overviews ?? []).map((o) => o.size),
      );
    });
  }

  it('reads tile offsets and byte counts equal to an independent TIFF dump', async () => {
    const path = join(FIXTURES, 'B04.tif');
    const { tags } = tiffTags(path);
    const { cog } = await open(path);
    assert.deepEqual(Array.from(cog.tileOffsets), tags['324'].values);
    assert.deepEqual(Array.from(cog.tileByteCounts), tags['325'].values);
  });

  it('takes the 100 m georeferencing from the file, not the 10 m the item claims', async () => {
    const { cog } = await open(join(FIXTURES, 'B04.tif'));
    assert.equal(cog.grid.pixelWidth, 100);
    assert.equal(cog.grid.pixelHeight, 100);
  });

  it('costs one ranged request', async () => {
    for (const band of BANDS) {
      const { requests } = await open(join(FIXTURES, `${band}.tif`));
      assert.equal(requests, 1, band);
    }
  });

  it('extends a too-small first read and parses the same header', async () => {
    const path = join(FIXTURES, 'B04.tif');
    const small = await open(path, 256);
    const normal = await open(path);
    assert.ok(small.requests > 1, 'needed more than the first 256 bytes');
    const strip = ({ cog }: typeof small) => ({
      ...cog,
      source: undefined,
      overviews: cog.overviews.length,
    });
    assert.deepEqual(strip(small), strip(normal));
  });
});

describe('openCog: layouts GDAL writes', () => {
  const tmp = tempDir();
  after(() => tmp.remove());

  it('reads big-endian tile arrays with the file’s byte order', async () => {
    // 40 × 40 tiles of 16 px: the tile arrays lie outside the IFD, as in a real COG.
    const sample = makeSample(tmp.dir, 'big-endian', { width: 640, height: 640, type: 'uint16' }, [
      '-co',
      'TILED=YES',
      '-co',
      'BLOCKXSIZE=16',
      '-co',
      'BLOCKYSIZE=16',
      '-co',
      'ENDIANNESS=BIG',
      '-co',
      'COMPRESS=DEFLATE',
    ]);
    const dump = tiffTags(sample.path);
    assert.equal(dump.littleEndian, false, 'GDAL wrote a big-endian file');
    const { cog } = await open(sample.path);
    assert.equal(cog.littleEndian, false);
    assert.deepEqual(Array.from(cog.tileOffsets), dump.tags['324'].values);
    assert.deepEqual(Array.from(cog.tileByteCounts), dump.tags['325'].values);
  });

  it('reads 64-bit BigTIFF tile offsets', async () => {
    const sample = makeSample(tmp.dir, 'bigtiff', { width: 300, height: 200, type: 'uint16' }, [
      '-of',
      'COG',
      '-co',
      'BLOCKSIZE=128',
      '-co',
      'BIGTIFF=YES',
      '-co',
      'COMPRESS=DEFLATE',
    ]);
    const dump = tiffTags(sample.path);
    assert.equal(dump.bigTiff, true);
    const { cog } = await open(sample.path);
    assert.deepEqual(Array.from(cog.tileOffsets), dump.tags['324'].values);
  });

  it('shifts a PixelIsPoint grid by half a pixel as GDAL does', async () => {
    const sample = makeSample(tmp.dir, 'point', { width: 64, height: 48, type: 'uint8' }, [
      '-of',
      'COG',
      '-mo',
      'AREA_OR_POINT=Point',
      '-co',
      'COMPRESS=DEFLATE',
    ]);
    const { cog } = await open(sample.path);
    assert.deepEqual(geoTransform(cog.grid), gdalinfo(sample.path).geoTransform);
  });

  it('reads an EPSG geographic CRS from GeographicTypeGeoKey', async () => {
    const path = join(tmp.dir, 'geographic.tif');
    run('gdal_create', [
      '-q',
      '-outsize',
      '32',
      '32',
      '-a_srs',
      'EPSG:4326',
      '-a_ullr',
      '10',
      '50',
      '11',
      '49',
      '-co',
      'TILED=YES',
      path,
    ]);
    const { cog } = await open(path);
    assert.equal(cog.grid.epsg, 4326);
    assert.deepEqual(geoTransform(cog.grid), gdalinfo(path).geoTransform);
  });
});

describe('openCog: refusals', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  const fixture = join(FIXTURES, 'B04.tif');

  it('refuses LZW compression and says how to convert', async () => {
    const path = join(tmp.dir, 'lzw.tif');
    run('gdal_translate', ['-q', '-co', 'TILED=YES', '-co', 'COMPRESS=LZW', fixture, path]);
    await assertRefused(path, 'COG_UNSUPPORTED_COMPRESSION', [
      /LZW/,
      /gdal_translate .*COMPRESS=DEFLATE/,
    ]);
  });

  it('refuses a stripped (not tiled) file', async () => {
    const path = join(tmp.dir, 'stripped.tif');
    run('gdal_translate', ['-q', '-co', 'TILED=NO', '-co', 'COMPRESS=DEFLATE', fixture, path]);
    await assertRefused(path, 'COG_NOT_TILED', [/strips/]);
  });

  it('refuses a tile byte count larger than DEFLATE’s worst case for the tile', async () => {
    const { tags } = tiffTags(fixture);
    const counts = tags['325'];
    assert.equal(counts.type, 4, 'byte counts stored as LONG');
    const path = patchedCopy(fixture, join(tmp.dir, 'absurd-count.tif'), (bytes) => {
      bytes.writeUInt32LE(0x7fffffff, counts.valueOffset + 4 * 2);
    });
    await assertRefused(path, 'COG_ABSURD_TILE', [/tile 2 claims 2147483647 bytes/]);
  });

  it('refuses an image wider than 100 000 px', async () => {
    const sample = makeSample(tmp.dir, 'wide', { width: 64, height: 64, type: 'uint8' }, [
      '-of',
      'COG',
    ]);
    const { tags } = tiffTags(sample.path);
    const path = patchedCopy(sample.path, join(tmp.dir, 'wide-patched.tif'), (bytes) => {
      // Rewrite the ImageWidth entry as a LONG holding 200 000.
      const entry = tags['256'].entryOffset;
      bytes.writeUInt16LE(4, entry + 2);
      bytes.writeUInt32LE(200_000, entry + 8);
    });
    await assertRefused(path, 'COG_ABSURD_SIZE', [/200000/]);
  });

  it('refuses a tile array count too large to read, before reading it', async () => {
    const { tags } = tiffTags(fixture);
    const path = patchedCopy(fixture, join(tmp.dir, 'huge-array.tif'), (bytes) => {
      bytes.writeUInt32LE(0x10000000, tags['324'].entryOffset + 4);
    });
    await assertRefused(path, 'COG_CORRUPT_HEADER', [/header field of 1073741824 bytes/]);
  });

  it('refuses tiles larger than 4096 px', async () => {
    const path = join(tmp.dir, 'huge-tiles.tif');
    run('gdal_create', [
      ...['-q', '-outsize', '8192', '16', '-a_srs', 'EPSG:32631'],
      ...['-a_ullr', '0', '160', '81920', '0', '-co', 'TILED=YES'],
      ...['-co', 'BLOCKXSIZE=8192', '-co', 'BLOCKYSIZE=16', '-co', 'COMPRESS=DEFLATE', path],
    ]);
    await assertRefused(path, 'COG_ABSURD_SIZE', [/tile size 8192/]);
  });

  it('refuses a cut file whose tiles lie past its end', async () => {
    const path = join(tmp.dir, 'cut.tif');
    patchedCopy(fixture, path, () => undefined);
    const bytes = run('python3', [
      '-c',
      `import os; os.truncate(${JSON.stringify(path)}, 1_500_000)`,
    ]);
    assert.equal(bytes, '');
    await assertRefused(path, 'COG_TRUNCATED', [/past the end of the 1500000-byte file/]);
  });

  it('refuses bytes that are not a TIFF', async () => {
    const path = join(tmp.dir, 'not-a-tiff.tif');
    writeFileSync(path, '<html>Access denied</html>');
    await assertRefused(path, 'COG_CORRUPT_HEADER', [/not a readable TIFF/]);
  });

  it('refuses a CRS without an EPSG code as unknown', async () => {
    const srs =
      '+proj=tmerc +lat_0=0 +lon_0=13.7 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m';
    const sample = makeSample(
      tmp.dir,
      'custom-crs',
      { width: 32, height: 32, type: 'uint8' },
      ['-of', 'COG'],
      srs,
    );
    await assertRefused(sample.path, 'COG_UNKNOWN_CRS', [/unknown CRS/]);
  });

  it('refuses a rotated grid', async () => {
    const sample = makeSample(tmp.dir, 'to-rotate', { width: 32, height: 32, type: 'uint8' }, [
      '-of',
      'VRT',
    ]);
    const vrt = join(tmp.dir, 'rotated.vrt');
    const xml = run('cat', [sample.path]).replace(
      /<GeoTransform>[^<]*<\/GeoTransform>/,
      '<GeoTransform>500000, 10, 2, 4000000, 2, -10</GeoTransform>',
    );
    writeFileSync(vrt, xml);
    const path = join(tmp.dir, 'rotated.tif');
    run('gdal_translate', ['-q', '-co', 'TILED=YES', vrt, path]);
    await assertRefused(path, 'COG_ROTATED', [/rotated/]);
  });

  it('refuses a file without georeferencing', async () => {
    const path = join(tmp.dir, 'plain.tif');
    run('gdal_create', ['-q', '-outsize', '32', '32', '-co', 'TILED=YES', path]);
    await assertRefused(path, 'COG_NO_GEOREFERENCING');
  });

  it('refuses float64 samples and names the type to convert to', async () => {
    const path = join(tmp.dir, 'float64.tif');
    run('gdal_translate', ['-q', '-ot', 'Float64', '-of', 'COG', fixture, path]);
    await assertRefused(path, 'COG_UNSUPPORTED_DATA_TYPE', [/64 bits/, /-ot/]);
  });
});
