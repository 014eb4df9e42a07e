import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Polygon } from '../../../src/core/geo/types';
import { resolveIndices } from '../../../src/core/indices/registry';
import { clipToTiles } from '../../../src/core/raster/clip';
import { type Cog, openCog } from '../../../src/core/raster/cog-reader';
import { encodeCog } from '../../../src/core/raster/cog-writer';
import type { RasterGrid } from '../../../src/core/raster/grid';
import { CLEAN_HARMONISATION, maskScene } from '../../../src/core/raster/mask';
import { checkHarmonisation } from '../../../src/core/stac/harmonise-check';
import { sceneFromItem } from '../../../src/core/stac/items';
import type { BandId, HarmonisationDecision, Scene } from '../../../src/core/stac/scene';
import { ParcelSet } from '../../../src/core/zonal/parcel-set';
import { neededTiles } from '../../../src/core/zonal/scene-layout';
import {
  computeSceneStatistics,
  type SceneStatistics,
} from '../../../src/core/zonal/scene-statistics';
import { FileSource } from '../../../src/store/sources/file-source';
import { openByteSource } from '../../../src/store/sources/open-byte-source';
import { FIXTURES, gdalBandBytes, gdalinfo, randomSequence, run, tempDir, tiffTags } from './gdal';

/**
 * Synthetic scene: a 10 m reference grid of 90 × 70 px in 32 px tiles (3 × 3 tiles, edge tiles
 * partial), and 20 m rasters (B11, SCL) in 16 px tiles whose origin sits one 10 m pixel west of
 * the reference's, so 10 m columns pair up odd-even with 20 m ones (rows stay aligned even-odd),
 * and which stop short of the reference's last columns.
 */
const EPSG = 32631;
const X0 = 600_000;
const Y0 = 5_000_000;
const REF: RasterGrid = {
  epsg: EPSG,
  originX: X0,
  originY: Y0,
  pixelWidth: 10,
  pixelHeight: 10,
  width: 90,
  height: 70,
};
const COARSE: RasterGrid = {
  epsg: EPSG,
  originX: X0 - 10,
  originY: Y0,
  pixelWidth: 20,
  pixelHeight: 20,
  width: 44,
  height: 35,
};
const VALID_SCL = [4, 5, 6, 7];

/** Offset 0, as for baselines before 04.00: clean DN = DN + 1000. */
const OFFSET_ZERO: HarmonisationDecision = {
  scale: 0.0001,
  offset: 0,
  rule: 'baseline-before-04.00',
  evidence: {
    processingBaseline: '02.14',
    boaOffsetApplied: null,
    declaredOffset: 0,
    declaredScale: 0.0001,
  },
};

interface Synthetic {
  b04: Uint16Array;
  b08: Uint16Array;
  b11: Uint16Array;
  scl: Uint8Array;
}

function syntheticRasters(): Synthetic {
  const random = randomSequence(42);
  const dn = (n: number) =>
    Uint16Array.from({ length: n }, () => (random() < 0.05 ? 0 : 1 + Math.floor(random() * 15000)));
  const b04 = dn(REF.width * REF.height);
  const b08 = dn(REF.width * REF.height);
  b08[5 * REF.width + 5] = 65000; // past 64 535: offset-0 clean DN clamps at 65 535
  const b11 = dn(COARSE.width * COARSE.height);
  // Half land (4, 5) so the harmonisation check is conclusive; the rest spread over all classes.
  const classes = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11];
  const scl = Uint8Array.from({ length: COARSE.width * COARSE.height }, () =>
    random() < 0.5 ? 4 + Math.floor(random() * 2) : classes[Math.floor(random() * classes.length)]!,
  );
  const setScl = (rows: [number, number], cols: [number, number], value: number) => {
    for (let r = rows[0]; r <= rows[1]; r++)
      for (let c = cols[0]; c <= cols[1]; c++) scl[r * COARSE.width + c] = value;
  };
  // Output tile (1, 0) (10 m cols 32–63, rows 0–31) lies in 20 m cols 16–32, rows 0–15: all cloud.
  setScl([0, 15], [16, 32], 9);
  // Output tile (0, 2) (10 m cols 0–31, rows 64–69) lies in 20 m cols 0–16, rows 32–34: no data.
  setScl([32, 34], [0, 16], 0);
  // 10 m rows 40–49 all clear, to check the 20 m → 10 m pairing on unmasked values.
  setScl([20, 24], [0, COARSE.width - 1], 4);
  // 10 m pixel (5, 5), whose B08 is 65 000, lies in 20 m pixel (3, 2): clear.
  setScl([2, 2], [3, 3], 5);
  return { b04, b08, b11, scl };
}

/** The 20 m pixel holding the centre of 10 m pixel (c, r), from world coordinates; undefined off the raster. */
function coarsePixel(c: number, r: number): number | undefined {
  const x = X0 + (c + 0.5) * 10;
  const y = Y0 - (r + 0.5) * 10;
  const col = Math.floor((x - COARSE.originX) / 20);
  const row = Math.floor((COARSE.originY - y) / 20);
  if (col < 0 || row < 0 || col >= COARSE.width || row >= COARSE.height) return undefined;
  return row * COARSE.width + col;
}

/** The brief's clean encoding, written out here: clamp(round((DN·scale + offset + 0.1)·10⁴), 1, 65535). */
function expectedClean(dn: number, scl: number, decision: HarmonisationDecision): number {
  if (scl === 0 || !VALID_SCL.includes(scl) || dn === 0) return 0;
  const value = Math.round((dn * decision.scale + decision.offset + 0.1) * 10000);
  return Math.min(65535, Math.max(1, value));
}

interface GdalInfoFull {
  coordinateSystem: { wkt: string };
  metadata: Record<string, Record<string, string>>;
}

describe('maskScene', () => {
  let tmp: ReturnType<typeof tempDir>;
  const sources: FileSource[] = [];
  before(() => {
    tmp = tempDir('parcelwatch-mask-');
  });
  after(async () => {
    await Promise.all(sources.map((s) => s.close()));
    tmp.remove();
  });

  async function writeAndOpen(
    name: string,
    grid: RasterGrid,
    pixels: Uint16Array | Uint8Array,
    tileSize: number,
  ) {
    const path = join(tmp.dir, `${name}.tif`);
    const bytes = await encodeCog({
      grid,
      dataType: pixels instanceof Uint16Array ? 'uint16' : 'uint8',
      bands: [pixels],
      tileSize,
      nodata: 0,
      overviews: 0,
    });
    writeFileSync(path, bytes);
    const source = new FileSource(path);
    sources.push(source);
    return openCog(source);
  }

  function save(name: string, bytes: Uint8Array): string {
    const path = join(tmp.dir, `${name}.tif`);
    writeFileSync(path, bytes);
    return path;
  }

  describe('on synthetic 10 m and shifted 20 m rasters', () => {
    let raw: Synthetic;
    let result: Awaited<ReturnType<typeof maskScene>>;
    const paths: Partial<Record<BandId, string>> = {};

    before(async () => {
      raw = syntheticRasters();
      const bands = {
        B04: await writeAndOpen('B04', REF, raw.b04, 32),
        B08: await writeAndOpen('B08', REF, raw.b08, 32),
        B11: await writeAndOpen('B11', COARSE, raw.b11, 16),
      };
      const scl = await writeAndOpen('SCL', COARSE, raw.scl, 16);
      result = await maskScene({
        bands,
        scl,
        harmonisation: OFFSET_ZERO,
        validSclClasses: VALID_SCL,
      });
      for (const band of ['B04', 'B08', 'B11'] as const)
        paths[band] = save(`clean-${band}`, result.bands[band]!);
      paths.SCL = save('clean-SCL', result.scl);
    });

    it('writes every output on the reference grid as GDAL reads it: size, geotransform, CRS, tiles, types, nodata, DEFLATE + predictor 2', () => {
      assert.deepEqual(result.grid, REF);
      assert.equal(result.tileSize, 32);
      for (const band of ['B04', 'B08', 'B11', 'SCL'] as const) {
        const info = gdalinfo(paths[band]!);
        const full = JSON.parse(run('gdalinfo', ['-json', paths[band]!])) as GdalInfoFull;
        assert.deepEqual(info.size, [90, 70], band);
        assert.deepEqual(info.geoTransform, [X0, 10, 0, Y0, 0, -10], band);
        assert.match(full.coordinateSystem.wkt, /ID\["EPSG",32631\]\]$/);
        assert.deepEqual(info.bands[0]!.block, [32, 32]);
        assert.equal(info.bands[0]!.type, band === 'SCL' ? 'Byte' : 'UInt16');
        assert.equal(info.bands[0]!.noDataValue, 0);
        assert.equal(full.metadata.IMAGE_STRUCTURE!.COMPRESSION, 'DEFLATE');
        assert.equal(full.metadata.IMAGE_STRUCTURE!.PREDICTOR, '2');
      }
    });

    it('gives every pixel the independent formula: nearest 20 m pixel, SCL mask, clean encoding', () => {
      const read16 = (band: BandId) =>
        new Uint16Array(gdalBandBytes(paths[band]!, 1).buffer.slice(0));
      const clean = { B04: read16('B04'), B08: read16('B08'), B11: read16('B11') };
      const scl = new Uint8Array(gdalBandBytes(paths.SCL!, 1));
      let masked = 0;
      let clamped = 0;
      for (let r = 0; r < REF.height; r++) {
        for (let c = 0; c < REF.width; c++) {
          const p = r * REF.width + c;
          const coarse = coarsePixel(c, r);
          const sclValue = coarse === undefined ? 0 : raw.scl[coarse]!;
          const expected = {
            B04: expectedClean(raw.b04[p]!, sclValue, OFFSET_ZERO),
            B08: expectedClean(raw.b08[p]!, sclValue, OFFSET_ZERO),
            B11: coarse === undefined ? 0 : expectedClean(raw.b11[coarse]!, sclValue, OFFSET_ZERO),
          };
          if (scl[p] !== sclValue) assert.fail(`SCL at ${c},${r}: ${scl[p]} vs ${sclValue}`);
          for (const band of ['B04', 'B08', 'B11'] as const) {
            if (clean[band][p] !== expected[band]) {
              assert.fail(`${band} at ${c},${r}: ${clean[band][p]} vs ${expected[band]}`);
            }
          }
          if (sclValue !== 0 && !VALID_SCL.includes(sclValue) && raw.b04[p] !== 0) masked++;
          if (expected.B08 === 65535) clamped++;
        }
      }
      // The cases are really there: masked pixels with data under them, and a clamped DN.
      assert.ok(masked > 500, `${masked} masked pixels`);
      assert.equal(clamped, 1);
    });

    it('adds 1000 to the DN of an offset-0 scene and keeps the SCL class of masked pixels', () => {
      const b04 = new Uint16Array(gdalBandBytes(paths.B04!, 1).buffer.slice(0));
      const scl = new Uint8Array(gdalBandBytes(paths.SCL!, 1));
      // 10 m pixel (40, 10) is in the all-cloud tile; (3, 45) in the all-clear stripe.
      assert.equal(scl[10 * 90 + 40], 9);
      assert.equal(b04[10 * 90 + 40], 0);
      assert.notEqual(raw.b04[10 * 90 + 40], 0);
      const p = 45 * 90 + 3;
      assert.equal(scl[p], 4);
      assert.equal(b04[p], raw.b04[p] === 0 ? 0 : raw.b04[p]! + 1000);
    });

    it('takes for each 10 m pixel the 20 m pixel holding its centre, at odd and even rows and columns', () => {
      const b11 = new Uint16Array(gdalBandBytes(paths.B11!, 1).buffer.slice(0));
      // The 20 m grid starts 10 m west: 10 m column c has its centre at 10c + 15 m from the 20 m
      // origin, so columns (0), (1, 2), (3, 4) … share 20 m columns 0, 1, 2 …; rows (40, 41) and
      // (42, 43) share 20 m rows 20 and 21.
      const cases: Array<[number, number, number, number]> = [
        [0, 40, 0, 20],
        [1, 40, 1, 20],
        [2, 41, 1, 20],
        [3, 42, 2, 21],
        [4, 43, 2, 21],
        [85, 49, 43, 24],
        [86, 48, 43, 24],
      ];
      for (const [c, r, bc, br] of cases) {
        const source = raw.b11[br * COARSE.width + bc]!;
        assert.equal(b11[r * 90 + c], source === 0 ? 0 : source + 1000, `10 m ${c},${r}`);
      }
      // Columns 87–89 lie east of the 20 m raster: no data, though the SCL stripe is clear there.
      for (const c of [87, 88, 89]) assert.equal(b11[45 * 90 + c], 0, `column ${c}`);
    });

    it('stores tiles without any data as sparse: all-cloud tiles in the bands, no-data tiles everywhere', () => {
      for (const band of ['B04', 'B08', 'B11', 'SCL'] as const) {
        const counts = tiffTags(paths[band]!).tags['325']!.values!;
        assert.equal(counts.length, 9);
        const sparse = counts.flatMap((count, tile) => (count === 0 ? [tile] : []));
        assert.deepEqual(sparse, band === 'SCL' ? [6] : [1, 6], band);
      }
    });

    it('counts pixels without data, masked and clear, and runs the harmonisation check on clear land red DN', () => {
      let noData = 0;
      let masked = 0;
      let clear = 0;
      const land: number[] = [];
      for (let r = 0; r < REF.height; r++) {
        for (let c = 0; c < REF.width; c++) {
          const coarse = coarsePixel(c, r);
          const scl = coarse === undefined ? 0 : raw.scl[coarse]!;
          if (scl === 0) noData++;
          else if (VALID_SCL.includes(scl)) clear++;
          else masked++;
          if ((scl === 4 || scl === 5) && raw.b04[r * REF.width + c] !== 0)
            land.push(raw.b04[r * REF.width + c]!);
        }
      }
      assert.deepEqual(result.pixels, { total: 90 * 70, noData, masked, clear });
      assert.deepEqual(result.check, checkHarmonisation(OFFSET_ZERO, { band: 'B04', dn: land }));
      assert.equal(result.check.status, 'ok');
      assert.equal(result.check.pixels, land.length);
    });

    it('encodes any decision into the one clean encoding, clamping below −0.1 to DN 1', async () => {
      const twiceScaled: HarmonisationDecision = {
        ...OFFSET_ZERO,
        scale: 0.0002,
        offset: -0.25,
        rule: 'declared-scale-not-l2a',
      };
      const bands = {
        B04: await writeAndOpen('B04-b', REF, raw.b04, 32),
      };
      const scl = await writeAndOpen('SCL-b', COARSE, raw.scl, 16);
      const out = await maskScene({
        bands,
        scl,
        harmonisation: twiceScaled,
        validSclClasses: VALID_SCL,
      });
      const b04 = new Uint16Array(
        gdalBandBytes(save('B04-b-clean', out.bands.B04!), 1).buffer.slice(0),
      );
      let clampedLow = 0;
      for (let r = 0; r < REF.height; r++) {
        for (let c = 0; c < REF.width; c++) {
          const p = r * REF.width + c;
          const coarse = coarsePixel(c, r);
          const sclValue = coarse === undefined ? 0 : raw.scl[coarse]!;
          const expected = expectedClean(raw.b04[p]!, sclValue, twiceScaled);
          assert.equal(b04[p], expected, `pixel ${c},${r}`);
          // Under this decision reflectance is 2·DN/10⁴ − 0.25: its clean DN is 2·DN − 1500.
          if (expected > 1) assert.equal(expected, 2 * raw.b04[p]! - 1500);
          if (expected === 1) clampedLow++;
        }
      }
      assert.ok(clampedLow > 0, 'some DN fall below reflectance −0.1');
      // Read back with the clean decision, a pixel gives the scene decision's reflectance.
      const p = 45 * 90 + 3;
      if (b04[p]! > 1) {
        assert.ok(
          Math.abs(
            b04[p]! * CLEAN_HARMONISATION.scale +
              CLEAN_HARMONISATION.offset -
              (raw.b04[p]! * twiceScaled.scale + twiceScaled.offset),
          ) < 1e-9,
        );
      }
    });
  });

  it('reports progress after each output tile and stops when its signal aborts', async () => {
    const raw = syntheticRasters();
    const b04 = await writeAndOpen('p-B04', REF, raw.b04, 32);
    const scl = await writeAndOpen('p-SCL', COARSE, raw.scl, 16);
    const progress: string[] = [];
    await maskScene({
      bands: { B04: b04 },
      scl,
      harmonisation: OFFSET_ZERO,
      validSclClasses: VALID_SCL,
      onProgress: (done, total) => progress.push(`${done}/${total}`),
    });
    assert.deepEqual(
      progress,
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `${n}/9`),
    );
    const controller = new AbortController();
    await assert.rejects(
      maskScene({
        bands: { B04: b04 },
        scl,
        harmonisation: OFFSET_ZERO,
        validSclClasses: VALID_SCL,
        signal: controller.signal,
        onProgress: (done) => {
          if (done === 2) controller.abort(new Error('activity cancelled'));
        },
      }),
      /activity cancelled/,
    );
  });

  describe('refusals', () => {
    it('refuses bands in different CRSs, a missing reference and no reflectance band', async () => {
      const raw = syntheticRasters();
      const b04 = await writeAndOpen('r-B04', REF, raw.b04, 32);
      const scl = await writeAndOpen('r-SCL', COARSE, raw.scl, 16);
      const other = await writeAndOpen('r-B08', { ...REF, epsg: 32632 }, raw.b08, 32);
      const base = { scl, harmonisation: OFFSET_ZERO, validSclClasses: VALID_SCL };
      await assert.rejects(maskScene({ ...base, bands: { B04: b04, B08: other } }), {
        name: 'BadDataError',
        code: 'SCENE_MIXED_CRS',
      });
      await assert.rejects(maskScene({ ...base, bands: { B04: b04 }, reference: 'B08' }), {
        name: 'BadInputError',
        code: 'MASK_BAD_REFERENCE',
      });
      await assert.rejects(maskScene({ ...base, bands: {} }), {
        name: 'BadInputError',
        code: 'MASK_NO_BANDS',
      });
      await assert.rejects(maskScene({ ...base, bands: { B04: b04 }, validSclClasses: [4, 256] }), {
        name: 'BadInputError',
        code: 'MASK_BAD_SCL_CLASSES',
      });
    });
  });

  describe('on the real 29RKH fixture (B04/B08 at 100 m, B11/SCL at 200 m, 512 px tiles)', () => {
    let scene: Scene;
    const raw: Partial<Record<BandId, Cog>> = {};
    /** The fixture with the no-data cases it lacks, for the engine comparison. */
    let patchedScene: Scene;
    const patched: Partial<Record<BandId, Cog>> = {};

    before(async () => {
      scene = fixtureScene();
      for (const band of ['B04', 'B08', 'B11', 'SCL'] as const) {
        const source = new FileSource(join(FIXTURES, `${band}.tif`));
        sources.push(source);
        raw[band] = await openCog(source);
      }
      assert.equal(scene.harmonisation.offset, 0, 'baseline 02.14: offset 0');

      // B04 DN 0 under part of parcel 'lower', SCL 0 (20 m) under all of parcel 'small'.
      const b04 = new Uint16Array(gdalBandBytes(join(FIXTURES, 'B04.tif'), 1).buffer.slice(0));
      for (let r = 520; r < 541; r++) for (let c = 600; c < 621; c++) b04[r * 1098 + c] = 0;
      const scl = new Uint8Array(gdalBandBytes(join(FIXTURES, 'SCL.tif'), 1));
      for (let r = 148; r < 154; r++) for (let c = 348; c < 354; c++) scl[r * 549 + c] = 0;
      patched.B04 = await writeAndOpen('patched-B04', raw.B04!.grid, b04, 512);
      patched.SCL = await writeAndOpen('patched-SCL', raw.SCL!.grid, scl, 512);
      patched.B08 = raw.B08;
      patched.B11 = raw.B11;
      patchedScene = { ...scene, bands: { ...scene.bands } };
      for (const band of ['B04', 'SCL'] as const) {
        const href = pathToFileURL(join(tmp.dir, `patched-${band}.tif`)).href;
        patchedScene.bands[band] = { ...scene.bands[band]!, href };
      }
    });

    it('works from the files’ own grids: clean B04, B11 and SCL equal the formula on GDAL’s reads of the raw rasters', async () => {
      const result = await maskScene({
        bands: { B04: raw.B04, B11: raw.B11 },
        scl: raw.SCL!,
        harmonisation: scene.harmonisation,
        validSclClasses: VALID_SCL,
      });
      const b04Path = save('fx-B04', result.bands.B04!);
      const b11Path = save('fx-B11', result.bands.B11!);
      const sclPath = save('fx-SCL', result.scl);
      for (const path of [b04Path, b11Path, sclPath]) {
        const info = gdalinfo(path);
        assert.deepEqual(info.size, [1098, 1098]);
        assert.deepEqual(info.geoTransform, [199980, 100, 0, 2800020, 0, -100]);
        assert.deepEqual(info.bands[0]!.block, [512, 512]);
      }
      const u16 = (path: string) => new Uint16Array(gdalBandBytes(path, 1).buffer.slice(0));
      const rawB04 = u16(join(FIXTURES, 'B04.tif'));
      const rawB11 = u16(join(FIXTURES, 'B11.tif'));
      const rawScl = new Uint8Array(gdalBandBytes(join(FIXTURES, 'SCL.tif'), 1));
      const cleanB04 = u16(b04Path);
      const cleanB11 = u16(b11Path);
      const cleanScl = new Uint8Array(gdalBandBytes(sclPath, 1));
      let masked = 0;
      for (let r = 0; r < 1098; r++) {
        for (let c = 0; c < 1098; c++) {
          const p = r * 1098 + c;
          // Same origin, 100 m and 200 m pixels: the centre of (c, r) lies in 200 m pixel (c/2, r/2).
          const coarse = Math.floor(r / 2) * 549 + Math.floor(c / 2);
          const scl = rawScl[coarse]!;
          const b04 = expectedClean(rawB04[p]!, scl, scene.harmonisation);
          const b11 = expectedClean(rawB11[coarse]!, scl, scene.harmonisation);
          if (cleanScl[p] !== scl || cleanB04[p] !== b04 || cleanB11[p] !== b11) {
            assert.fail(
              `pixel ${c},${r}: SCL ${cleanScl[p]}/${scl}, B04 ${cleanB04[p]}/${b04}, B11 ${cleanB11[p]}/${b11}`,
            );
          }
          if (b04 === 0) masked++;
        }
      }
      assert.ok(masked > 10_000, `${masked} masked pixels`);
      assert.deepEqual(result.pixels, {
        total: 1098 * 1098,
        noData: 0,
        masked,
        clear: 1098 * 1098 - masked,
      });
    });

    for (const bufferMetres of [0, 50]) {
      it(`gives the engine the same observations on clipped clean rasters as on the raw ones (buffer ${bufferMetres} m)`, async () => {
        const indices = resolveIndices(['ndvi', 'ndmi']);
        const compute = (s: Scene): Promise<SceneStatistics> =>
          computeSceneStatistics({
            scene: s,
            parcels: new ParcelSet(
              PARCELS.map(([id]) => id),
              PARCELS.map(([, g]) => g),
              32629,
            ),
            indices,
            bufferMetres,
            okThreshold: 0.5,
            validSclClasses: VALID_SCL,
            openSource: (href) => openByteSource(href),
          });
        const fromRaw = await compute(patchedScene);

        // downloadScene: clip each raw band to the tiles holding the parcels' pixels.
        const parcels = new ParcelSet(
          PARCELS.map(([id]) => id),
          PARCELS.map(([, g]) => g),
          32629,
        );
        const reference = patched.B04!;
        const prepared = parcels.prepare(reference.grid, reference.tileWidth, bufferMetres);
        const clipped: Partial<Record<BandId, Cog>> = {};
        for (const band of ['B04', 'B08', 'B11', 'SCL'] as const) {
          const tiles = neededTiles(prepared, patched[band]!, reference);
          const clip = await clipToTiles(patched[band]!, tiles);
          const source = new FileSource(save(`clip-${bufferMetres}-${band}`, clip.bytes));
          sources.push(source);
          clipped[band] = await openCog(source);
        }
        // The clip is a strict part of the scene: B04 keeps tiles 1, 2 and 4 of 9 (tile 5 sparse).
        assert.deepEqual(clipped.B04!.grid.originX, 199980 + 512 * 100);
        assert.deepEqual([clipped.B04!.width, clipped.B04!.height], [586, 1024]);
        assert.deepEqual(
          Array.from(clipped.B04!.tileByteCounts, (n) => n > 0),
          [true, true, true, false],
        );

        // maskScene, then the engine on the clean rasters with the clean decision.
        const masked = await maskScene({
          bands: { B04: clipped.B04, B08: clipped.B08, B11: clipped.B11 },
          scl: clipped.SCL!,
          harmonisation: scene.harmonisation,
          validSclClasses: VALID_SCL,
        });
        const cleanScene: Scene = {
          ...patchedScene,
          harmonisation: CLEAN_HARMONISATION,
          bands: { ...scene.bands },
        };
        for (const band of ['B04', 'B08', 'B11', 'SCL'] as const) {
          const bytes = band === 'SCL' ? masked.scl : masked.bands[band]!;
          const href = pathToFileURL(save(`clean-${bufferMetres}-${band}`, bytes)).href;
          cleanScene.bands[band] = { ...scene.bands[band]!, href };
        }
        const fromClean = await compute(cleanScene);

        assert.equal(fromClean.observations.length, fromRaw.observations.length);
        let cloudy = 0;
        let noData = 0;
        let partlyMasked = 0;
        fromRaw.observations.forEach((expected, i) => {
          const got = fromClean.observations[i]!;
          const what = `${expected.parcelId} ${expected.index}`;
          assert.equal(got.parcelId, expected.parcelId);
          assert.equal(got.index, expected.index);
          assert.equal(got.status, expected.status, `${what} status`);
          assert.equal(got.validPixels, expected.validPixels, `${what} valid pixels`);
          assert.equal(got.totalPixels, expected.totalPixels, `${what} total pixels`);
          assert.deepEqual(got.flags, expected.flags, `${what} flags`);
          for (const stat of ['mean', 'median', 'std', 'min', 'max', 'p10', 'p90'] as const) {
            const [a, b] = [got[stat], expected[stat]];
            if (a === null || b === null) assert.equal(a, b, `${what} ${stat}`);
            else assert.ok(Math.abs(a - b) <= 1e-6, `${what} ${stat}: ${a} vs ${b}`);
          }
          if (expected.status === 'cloudy') cloudy++;
          if (expected.status === 'nodata') noData++;
          if (expected.validPixels > 0 && expected.validPixels < expected.totalPixels)
            partlyMasked++;
        });
        // The comparison covers masked and no-data parcels, not only clear ones.
        assert.ok(cloudy > 0, 'some parcel is cloudy');
        assert.equal(noData, 2, 'parcel small has no data (both indices)');
        assert.ok(partlyMasked > 0, 'some parcel is partly masked');
      });
    }
  });
});

const FIXTURE_ITEM = join(FIXTURES, 'S2A_29RKH_20200219_0_L2A.json');
const FX_X0 = 199980;
const FX_Y0 = 2800020;

function fixtureScene(): Scene {
  const item = JSON.parse(readFileSync(FIXTURE_ITEM, 'utf8'));
  const parsed = sceneFromItem(item, { requiredBands: ['B04', 'B08', 'B11', 'SCL'] });
  assert.ok(parsed.ok, 'fixture item parses');
  const scene = parsed.scene;
  for (const band of ['B04', 'B08', 'B11', 'SCL'] as const) {
    scene.bands[band] = {
      ...scene.bands[band]!,
      href: pathToFileURL(join(FIXTURES, `${band}.tif`)).href,
    };
  }
  return scene;
}

/** A rectangle in EPSG:32629, in pixel units of the fixture's 100 m grid, optionally rotated. */
function rect(col0: number, row0: number, col1: number, row1: number, rotate = 0): Polygon {
  const cx = (col0 + col1) / 2;
  const cy = (row0 + row1) / 2;
  const rad = (rotate * Math.PI) / 180;
  const corners: Array<[number, number]> = [
    [col0, row0],
    [col1, row0],
    [col1, row1],
    [col0, row1],
    [col0, row0],
  ];
  return {
    type: 'Polygon',
    coordinates: [
      corners.map(([c, r]) => {
        const dc = c - cx;
        const dr = r - cy;
        const c2 = cx + dc * Math.cos(rad) - dr * Math.sin(rad);
        const r2 = cy + dc * Math.sin(rad) + dr * Math.cos(rad);
        return [FX_X0 + c2 * 100, FX_Y0 - r2 * 100] as [number, number];
      }),
    ],
  };
}

/**
 * Parcels in the cloudy north-east of the scene (SCL 8–10 there) and across tile edges: 100 m tile
 * column 1|2 at column 1024 (also the 20 m tile edge), row 0|1 at row 512, and the raster's east edge.
 * Edges sit off pixel centres, so no rasteriser tie-break decides.
 */
const PARCELS: Array<[string, Polygon]> = [
  ['cloudy-corner', rect(1000.3, 20.2, 1060.7, 80.9)],
  ['across-tile-column', rect(1000.2, 150.4, 1050.8, 190.1)],
  ['rotated', rect(850.2, 100.3, 890.6, 130.7, 23)],
  ['partly-outside', rect(1085.2, 200.3, 1105.6, 230.8)],
  ['small', rect(700.51, 300.52, 703.48, 303.47)],
  ['lower', rect(600.3, 520.2, 640.7, 560.9)],
  ['across-tile-row', rect(900.1, 490.6, 930.9, 530.2, 8)],
];
