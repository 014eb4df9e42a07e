import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { BadInputError } from '../../../src/core/errors';
import {
  type CogDataType,
  type CogPixels,
  deflateTile,
  encodeCog,
  encodeCogFromTiles,
  writeCogFile,
} from '../../../src/core/raster/cog-writer';
import type { RasterGrid } from '../../../src/core/raster/grid';

/** A grid in UTM 33N at the origin of Sentinel-2 tile 33TWL, sized to give edge tiles. */
function utmGrid(width: number, height: number, pixel = 10): RasterGrid {
  return {
    epsg: 32633,
    originX: 499980,
    originY: 5100000,
    pixelWidth: pixel,
    pixelHeight: pixel,
    width,
    height,
  };
}

/** Deterministic pseudo-random values (xorshift), so no pattern lines up with tile edges. */
function pseudoRandom(length: number, seed: number, map: (u: number) => number): number[] {
  let state = seed >>> 0 || 1;
  return Array.from({ length }, () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return map(state / 2 ** 32);
  });
}

interface GdalInfo {
  size: [number, number];
  coordinateSystem: { wkt: string };
  geoTransform: number[];
  metadata: Record<string, Record<string, string>>;
  bands: Array<{
    block: [number, number];
    type: string;
    noDataValue?: number | string;
    overviews?: Array<{ size: [number, number] }>;
  }>;
}

function gdalinfo(path: string): GdalInfo {
  return JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' }));
}

function gdalValue(path: string, col: number, row: number, band = 1): number {
  const out = execFileSync(
    'gdallocationinfo',
    ['-valonly', '-b', String(band), path, String(col), String(row)],
    {
      encoding: 'utf8',
    },
  );
  return Number(out.trim());
}

async function readBack(buffer: Buffer, imageIndex = 0) {
  const copy = buffer.buffer.slice(
    buffer.byteOffset,
    buffer.byteOffset + buffer.byteLength,
  ) as ArrayBuffer;
  const tiff = await fromArrayBuffer(copy);
  const image = await tiff.getImage(imageIndex);
  const rasters = await image.readRasters({ interleave: false });
  return {
    tiff,
    image,
    rasters: Array.from({ length: rasters.length }, (_, i) => rasters[i] as CogPixels),
  };
}

describe('COG writer', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cog-writer-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('a uint16 band of 1000 × 700 px in 256 px tiles', () => {
    const grid = utmGrid(1000, 700);
    const band = Uint16Array.from(pseudoRandom(1000 * 700, 7, (u) => 1 + Math.floor(u * 12000)));
    let path: string;
    let info: GdalInfo;
    before(async () => {
      path = join(dir, 'uint16.tif');
      await writeCogFile(path, {
        grid,
        dataType: 'uint16',
        bands: [band],
        tileSize: 256,
        nodata: 0,
      });
      info = gdalinfo(path);
    });

    it('is read by GDAL with its size, CRS and geotransform', () => {
      assert.deepEqual(info.size, [1000, 700]);
      assert.match(info.coordinateSystem.wkt, /^PROJCRS\["WGS 84 \/ UTM zone 33N"/);
      assert.match(info.coordinateSystem.wkt, /ID\["EPSG",32633\]\]$/);
      assert.deepEqual(info.geoTransform, [499980, 10, 0, 5100000, 0, -10]);
      assert.equal(info.metadata['']?.AREA_OR_POINT, 'Area');
    });

    it('declares tiles, DEFLATE, predictor 2, nodata and the COG layout to GDAL', () => {
      assert.deepEqual(info.bands[0].block, [256, 256]);
      assert.equal(info.bands[0].type, 'UInt16');
      assert.equal(info.bands[0].noDataValue, 0);
      assert.equal(info.metadata.IMAGE_STRUCTURE.COMPRESSION, 'DEFLATE');
      assert.equal(info.metadata.IMAGE_STRUCTURE.PREDICTOR, '2');
      assert.equal(info.metadata.IMAGE_STRUCTURE.LAYOUT, 'COG');
    });

    it('adds overviews halving the size until one tile holds the image', () => {
      assert.deepEqual(
        info.bands[0].overviews?.map((o) => o.size),
        [
          [500, 350],
          [250, 175],
        ],
      );
    });

    it('returns the written values to gdallocationinfo, edge tiles included', () => {
      for (const [col, row] of [
        [0, 0],
        [255, 255],
        [256, 0],
        [999, 0],
        [0, 699],
        [999, 699],
        [768, 512],
        [421, 333],
      ]) {
        assert.equal(gdalValue(path, col, row), band[row * 1000 + col], `pixel ${col},${row}`);
      }
    });

    it('puts every IFD before any tile, smallest overview tiles first, each tile framed by leader and trailer', async () => {
      const file = readFileSync(path);
      const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
      const ifdOffsets: number[] = [];
      for (let at = view.getUint32(4, true); at !== 0; ) {
        ifdOffsets.push(at);
        at = view.getUint32(at + 2 + view.getUint16(at, true) * 12, true);
      }
      assert.equal(ifdOffsets.length, 3);
      const { tiff } = await readBack(file);
      const spans: Array<[number, number]> = [];
      for (let level = 0; level < 3; level++) {
        const directory = (await tiff.getImage(level)).fileDirectory;
        const offsets: number[] = Array.from((await directory.loadValue('TileOffsets')) ?? []);
        const counts: number[] = Array.from((await directory.loadValue('TileByteCounts')) ?? []);
        offsets.forEach((offset, i) => {
          assert.equal(
            view.getUint32(offset - 4, true),
            counts[i],
            `leader of tile ${i} at level ${level}`,
          );
          assert.ok(
            file
              .subarray(offset + counts[i], offset + counts[i] + 4)
              .equals(file.subarray(offset + counts[i] - 4, offset + counts[i])),
            `trailer of tile ${i} at level ${level}`,
          );
        });
        spans.push([Math.min(...offsets), Math.max(...offsets)]);
      }
      const lastIfd = Math.max(...ifdOffsets);
      assert.ok(lastIfd < spans[2][0], 'IFDs precede all tiles');
      assert.ok(
        spans[2][1] < spans[1][0] && spans[1][1] < spans[0][0],
        'smallest overview first, full resolution last',
      );
    });

    it('reads back through geotiff.js as the identical array', async () => {
      const { rasters, image } = await readBack(readFileSync(path));
      assert.equal(image.getTileWidth(), 256);
      assert.deepEqual(rasters[0], band);
    });

    it('stores overview pixel i as full-resolution pixel min(floor((i + 0.5) · 2^level), size − 1)', async () => {
      const buffer = readFileSync(path);
      for (const level of [1, 2]) {
        const { rasters, image } = await readBack(buffer, level);
        const factor = 2 ** level;
        const width = image.getWidth();
        const height = image.getHeight();
        assert.equal(width, Math.ceil(1000 / factor));
        assert.equal(height, Math.ceil(700 / factor));
        for (let j = 0; j < height; j++) {
          const y = Math.min(Math.floor((j + 0.5) * factor), 699);
          for (let i = 0; i < width; i++) {
            const x = Math.min(Math.floor((i + 0.5) * factor), 999);
            if (rasters[0][j * width + i] !== band[y * 1000 + x]) {
              assert.fail(
                `level ${level} pixel ${i},${j} is ${rasters[0][j * width + i]}, expected ${band[y * 1000 + x]}`,
              );
            }
          }
        }
      }
    });
  });

  for (const [dataType, values, nodata] of [
    ['uint8', Uint8Array.from(pseudoRandom(300 * 200, 3, (u) => Math.floor(u * 12))), 0],
    [
      'int16',
      Int16Array.from(pseudoRandom(300 * 200, 4, (u) => Math.floor(u * 20000) - 10000)),
      -32768,
    ],
    ['float32', Float32Array.from(pseudoRandom(300 * 200, 5, (u) => (u - 0.5) * 3.7)), -9999],
  ] as Array<[CogDataType, CogPixels, number]>) {
    it(`round-trips ${dataType} values (negatives included) through geotiff.js and GDAL`, async () => {
      const grid = utmGrid(300, 200);
      const buffer = await encodeCog({ grid, dataType, bands: [values], tileSize: 128, nodata });
      const { rasters } = await readBack(buffer);
      assert.deepEqual(rasters[0], values);
      const path = join(dir, `${dataType}.tif`);
      writeFileSync(path, buffer);
      assert.equal(gdalinfo(path).bands[0].noDataValue, nodata);
      for (const [col, row] of [
        [0, 0],
        [299, 199],
        [130, 77],
      ]) {
        // gdallocationinfo prints 15 significant digits; rounding to float32 recovers the sample.
        assert.equal(Math.fround(gdalValue(path, col, row)), values[row * 300 + col]);
      }
    });
  }

  it('writes several samples as separate planes that read back band by band', async () => {
    const grid = utmGrid(150, 90);
    const bands = [1, 2, 3].map((seed) =>
      Uint16Array.from(pseudoRandom(150 * 90, seed, (u) => Math.floor(u * 60000))),
    );
    const path = join(dir, 'three.tif');
    await writeCogFile(path, { grid, dataType: 'uint16', bands, tileSize: 64 });
    const info = gdalinfo(path);
    assert.equal(info.bands.length, 3);
    assert.equal(info.metadata.IMAGE_STRUCTURE.INTERLEAVE, 'BAND');
    assert.equal(gdalValue(path, 149, 89, 3), bands[2][89 * 150 + 149]);
    const { rasters } = await readBack(readFileSync(path));
    assert.deepEqual(rasters, bands);
  });

  it('georeferences an EPSG:4326 grid as geographic', async () => {
    const grid: RasterGrid = {
      epsg: 4326,
      originX: 15,
      originY: 46,
      pixelWidth: 0.001,
      pixelHeight: 0.0005,
      width: 40,
      height: 30,
    };
    const path = join(dir, 'wgs84.tif');
    await writeCogFile(path, {
      grid,
      dataType: 'uint8',
      bands: [new Uint8Array(1200).fill(9)],
      tileSize: 16,
      overviews: 0,
    });
    const info = gdalinfo(path);
    assert.match(info.coordinateSystem.wkt, /^GEOGCRS\["WGS 84"/);
    assert.deepEqual(info.geoTransform, [15, 0.001, 0, 46, 0, -0.0005]);
    assert.equal(info.bands[0].overviews, undefined);
  });

  it('produces the same bytes from a raster streamed tile by tile as from the whole array', async () => {
    const grid = utmGrid(520, 300);
    const band = Uint16Array.from(pseudoRandom(520 * 300, 11, (u) => Math.floor(u * 5000)));
    const asked: string[] = [];
    const streamed = await encodeCog({
      grid,
      dataType: 'uint16',
      tileSize: 128,
      nodata: 0,
      readTile: ({ x, y, width, height, tileX, tileY }) => {
        asked.push(`${tileX},${tileY}`);
        const out = new Uint16Array(width * height);
        for (let row = 0; row < height; row++) {
          out.set(band.subarray((y + row) * 520 + x, (y + row) * 520 + x + width), row * width);
        }
        return out;
      },
    });
    const whole = await encodeCog({
      grid,
      dataType: 'uint16',
      tileSize: 128,
      nodata: 0,
      bands: [band],
    });
    assert.equal(asked.length, 5 * 3, 'each full-resolution tile is asked for once');
    assert.equal(new Set(asked).size, asked.length);
    assert.ok(streamed.equals(whole), 'streamed and whole encodings differ');
  });

  it('omits the predictor when asked and honours the compression level', async () => {
    const grid = utmGrid(200, 200);
    const band = Uint16Array.from(pseudoRandom(200 * 200, 9, (u) => Math.floor(u * 100)));
    const stored = await encodeCog({
      grid,
      dataType: 'uint16',
      bands: [band],
      tileSize: 256,
      predictor: 'none',
      compressionLevel: 0,
    });
    const path = join(dir, 'nopredictor.tif');
    writeFileSync(path, stored);
    assert.equal(gdalinfo(path).metadata.IMAGE_STRUCTURE.PREDICTOR, undefined);
    // Level 0 stores the 256² × 2-byte padded tile uncompressed, so the file exceeds the raw tile.
    assert.ok(stored.length > 256 * 256 * 2, `${stored.length} bytes`);
    const { rasters } = await readBack(stored);
    assert.deepEqual(rasters[0], band);
  });

  it('rejects tile sizes that are not multiples of 16 and predictor 2 on floats', async () => {
    const grid = utmGrid(10, 10);
    await assert.rejects(
      encodeCog({ grid, dataType: 'uint8', bands: [new Uint8Array(100)], tileSize: 100 }),
      (e: unknown) => e instanceof BadInputError && /multiple of 16/.test(e.message),
    );
    await assert.rejects(
      encodeCog({
        grid,
        dataType: 'float32',
        bands: [new Float32Array(100)],
        predictor: 'horizontal',
      }),
      (e: unknown) => e instanceof BadInputError && /predictor 'none'/.test(e.message),
    );
    await assert.rejects(
      encodeCog({ grid, dataType: 'uint16', bands: [new Uint8Array(100)] }),
      (e: unknown) => e instanceof BadInputError && /band 0 must be a uint16 array/.test(e.message),
    );
  });

  it('leaves neither the target nor a temporary file when producing the raster fails', async () => {
    mkdirSync(join(dir, 'atomic'));
    const target = join(dir, 'atomic', 'failed.tif');
    await assert.rejects(
      writeCogFile(target, {
        grid: utmGrid(64, 64),
        dataType: 'uint8',
        tileSize: 16,
        readTile: ({ tileX, tileY, width, height }) => {
          if (tileX === 3 && tileY === 3) throw new Error('source went away');
          return new Uint8Array(width * height);
        },
      }),
      /source went away/,
    );
    assert.deepEqual(readdirSync(join(dir, 'atomic')).sort(), []);
  });

  it('replaces an existing file only with a complete new one', async () => {
    const target = join(dir, 'replace.tif');
    writeFileSync(target, 'old');
    const size = await writeCogFile(target, {
      grid: utmGrid(20, 20),
      dataType: 'uint8',
      bands: [new Uint8Array(400).fill(4)],
      tileSize: 16,
    });
    assert.equal(statSync(target).size, size);
    assert.equal(gdalValue(target, 19, 19), 4);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  describe('from tiles compressed beforehand', () => {
    it('assembles a COG GDAL reads: the given tiles where they are, nodata in the sparse ones', async () => {
      const grid = utmGrid(70, 40);
      const band = Uint16Array.from(pseudoRandom(70 * 40, 5, (u) => 1 + Math.floor(u * 9000)));
      // Tiles of 32 px: 3 × 2, the last column and row partial; tiles 1 and 5 left sparse.
      const tiles: Array<Buffer | null> = [];
      for (let ty = 0; ty < 2; ty++) {
        for (let tx = 0; tx < 3; tx++) {
          if (ty * 3 + tx === 1 || ty * 3 + tx === 5) {
            tiles.push(null);
            continue;
          }
          const tile = new Uint16Array(32 * 32);
          for (let r = 0; r < 32 && ty * 32 + r < 40; r++) {
            for (let c = 0; c < 32 && tx * 32 + c < 70; c++) {
              tile[r * 32 + c] = band[(ty * 32 + r) * 70 + tx * 32 + c]!;
            }
          }
          tiles.push(await deflateTile(tile, 32, { predictor: true }));
        }
      }
      const bytes = encodeCogFromTiles({
        grid,
        dataType: 'uint16',
        tileSize: 32,
        compression: 'deflate',
        predictor: 2,
        nodata: 0,
        tile: (i) => tiles[i],
      });
      const path = join(dir, 'from-tiles.tif');
      writeFileSync(path, bytes);
      const info = gdalinfo(path);
      assert.deepEqual(info.size, [70, 40]);
      assert.deepEqual(info.bands[0].block, [32, 32]);
      assert.equal(info.metadata.IMAGE_STRUCTURE.PREDICTOR, '2');
      assert.equal(info.metadata.IMAGE_STRUCTURE.LAYOUT, 'COG');
      const { rasters } = await readBack(bytes);
      for (let r = 0; r < 40; r++) {
        for (let c = 0; c < 70; c++) {
          const tile = Math.floor(r / 32) * 3 + Math.floor(c / 32);
          const expected = tile === 1 || tile === 5 ? 0 : band[r * 70 + c];
          assert.equal(rasters[0]![r * 70 + c], expected, `pixel ${c},${r}`);
        }
      }
      assert.equal(gdalValue(path, 69, 39), 0);
      assert.equal(gdalValue(path, 69, 0), band[69]);
    });

    it('refuses a predictor the data type cannot take and uncompressed tiles of the wrong size', () => {
      const base = {
        grid: utmGrid(16, 16),
        tileSize: 16,
        compression: 'none' as const,
        tile: () => new Uint8Array(100),
      };
      assert.throws(
        () => encodeCogFromTiles({ ...base, dataType: 'float32', predictor: 2 }),
        (e: unknown) => e instanceof BadInputError && /predictor 2/.test(e.message),
      );
      assert.throws(
        () => encodeCogFromTiles({ ...base, dataType: 'uint16', predictor: 1 }),
        (e: unknown) => e instanceof BadInputError && /holds 100 bytes/.test(e.message),
      );
    });
  });
});
