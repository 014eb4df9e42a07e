import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fromFile } from 'geotiff';
import proj4 from 'proj4';
import {
  generateSynthetic,
  readTruth,
  type SyntheticDataset,
} from '../../../scripts/synthetic/generate';
import type { SyntheticOptions } from '../../../scripts/synthetic/options';

/** A raster read back independently of the generator (geotiff.js). */
interface Raster {
  width: number;
  height: number;
  originX: number;
  originY: number;
  pixel: number;
  data: ArrayLike<number>;
}

async function readRaster(path: string): Promise<Raster> {
  const tiff = await fromFile(path);
  const image = await tiff.getImage(0);
  const [originX, originY] = image.getOrigin();
  const [pixel] = image.getResolution();
  const [data] = await image.readRasters({ interleave: false });
  return {
    width: image.getWidth(),
    height: image.getHeight(),
    originX,
    originY,
    pixel,
    data: data as ArrayLike<number>,
  };
}

/** Value of the raster pixel containing world point (x, y), or undefined outside it. */
function valueAt(raster: Raster, x: number, y: number): number | undefined {
  const col = Math.floor((x - raster.originX) / raster.pixel);
  const row = Math.floor((raster.originY - y) / raster.pixel);
  if (col < 0 || row < 0 || col >= raster.width || row >= raster.height) return undefined;
  return raster.data[row * raster.width + col];
}

const toUtm = proj4('WGS84', '+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs');

interface ParcelFeature {
  properties: { id: string; name: string; crop: string };
  geometry: { type: 'Polygon'; coordinates: number[][][] };
}

function utmRing(feature: ParcelFeature): Array<[number, number]> {
  return feature.geometry.coordinates[0]
    .slice(0, -1)
    .map((p) => toUtm.forward(p) as [number, number]);
}

/** Ray casting: true when (x, y) is inside the ring (any simple polygon). */
function inside(ring: Array<[number, number]>, x: number, y: number): boolean {
  let odd = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

/** Distance from (x, y) to the ring's boundary. */
function distanceToBoundary(ring: Array<[number, number]>, x: number, y: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ring.length; i++) {
    const [ax, ay] = ring[i];
    const [bx, by] = ring[(i + 1) % ring.length];
    const t = Math.max(
      0,
      Math.min(
        1,
        ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2),
      ),
    );
    best = Math.min(best, Math.hypot(x - ax - t * (bx - ax), y - ay - t * (by - ay)));
  }
  return best;
}

/** Centres of the 10 m pixels of `grid` lying inside the ring by more than `inset` metres. */
function pixelCentresInside(
  ring: Array<[number, number]>,
  grid: Raster,
  inset: number,
): Array<[number, number]> {
  const xs = ring.map((p) => p[0]);
  const ys = ring.map((p) => p[1]);
  const found: Array<[number, number]> = [];
  const c0 = Math.floor((Math.min(...xs) - grid.originX) / grid.pixel);
  const c1 = Math.ceil((Math.max(...xs) - grid.originX) / grid.pixel);
  const r0 = Math.floor((grid.originY - Math.max(...ys)) / grid.pixel);
  const r1 = Math.ceil((grid.originY - Math.min(...ys)) / grid.pixel);
  for (let row = r0; row <= r1; row++) {
    for (let col = c0; col <= c1; col++) {
      const x = grid.originX + (col + 0.5) * grid.pixel;
      const y = grid.originY - (row + 0.5) * grid.pixel;
      if (inside(ring, x, y) && distanceToBoundary(ring, x, y) > inset) found.push([x, y]);
    }
  }
  return found;
}

/** Straddles the 33TWL/33TWM overlap (y ∈ [5090220, 5100000]) with strips in one tile only. */
const REGION: [number, number, number, number] = [540000, 5089000, 541600, 5101000];
const DATES = ['2024-06-03', '2024-06-06', '2024-06-10'];

function options(out: string, extra: Partial<SyntheticOptions> = {}): SyntheticOptions {
  return {
    out,
    seed: 42,
    region: REGION,
    parcels: 40,
    tinyParcels: 3,
    lakes: 1,
    dates: DATES,
    scenes: {
      '2024-06-03': { cloudFraction: 0 },
      '2024-06-06': { cloudFraction: 0.25 },
      '2024-06-10': { cloudFraction: 0.1, nodataWedge: 0.3 },
    },
    bands: ['B04', 'B08', 'B11', 'SCL'],
    tileSize: 128,
    ...extra,
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('synthetic Sentinel-2 generator', function () {
  this.timeout(120_000);
  let root: string;
  let dataset: SyntheticDataset;
  let parcels: ParcelFeature[];
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'synthetic-'));
    dataset = await generateSynthetic(options(join(root, 'a')));
    parcels = JSON.parse(readFileSync(dataset.parcelsPath, 'utf8')).features;
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const scene = (tile: string, date: string) => {
    const found = dataset.scenes.find((s) => s.tile === tile && s.date === date);
    assert.ok(found, `scene ${tile} ${date}`);
    return found;
  };

  it('writes the same bytes for the same seed and other parcels for another seed', async () => {
    const again = await generateSynthetic(options(join(root, 'b')));
    const files = filesUnder(dataset.dir).filter((f) => f !== 'synthetic.json');
    assert.deepEqual(
      files,
      filesUnder(again.dir).filter((f) => f !== 'synthetic.json'),
    );
    for (const file of files) {
      assert.ok(
        readFileSync(join(dataset.dir, file)).equals(readFileSync(join(again.dir, file))),
        `${file} differs`,
      );
    }
    const other = await generateSynthetic(
      options(join(root, 'c'), { seed: 43, dates: ['2024-06-03'], scenes: {} }),
    );
    assert.notDeepEqual(
      readFileSync(other.parcelsPath, 'utf8'),
      readFileSync(dataset.parcelsPath, 'utf8'),
    );
  });

  it('reuses a finished run with the same parameters and regenerates when they change', async () => {
    const item = scene('33TWL', DATES[0]).itemPath;
    const before = statSync(item).mtimeMs;
    const reused = await generateSynthetic(options(dataset.dir));
    assert.equal(reused.cached, true);
    assert.equal(statSync(item).mtimeMs, before);
    const changed = await generateSynthetic(
      options(join(root, 'c'), { seed: 43, dates: ['2024-06-03'], scenes: {}, noise: 0.01 }),
    );
    assert.equal(changed.cached, false);
  });

  it('publishes the parcels as WGS84 GeoJSON with id, name and crop, some in the tile overlap', async () => {
    const truth = await readTruth(dataset.dir);
    assert.equal(parcels.length, 43);
    for (const feature of parcels) {
      assert.deepEqual(Object.keys(feature.properties).sort(), ['crop', 'id', 'name']);
      const [lon, lat] = feature.geometry.coordinates[0][0];
      assert.ok(
        lon > 15 && lon < 16 && lat > 45.9 && lat < 46.1,
        `${feature.properties.id} at ${lon}, ${lat}`,
      );
    }
    const both = truth.parcels.filter((p) => p.tiles.length === 2);
    assert.ok(both.length > 0, 'some parcels lie in both tiles');
    for (const p of both) {
      const ys = utmRing(parcels.find((f) => f.properties.id === p.id)!).map((q) => q[1]);
      assert.ok(
        Math.min(...ys) >= 5090220 && Math.max(...ys) <= 5100000,
        `${p.id} lies in the overlap`,
      );
    }
    const tiny = truth.parcels.filter((p) => p.shape === 'tiny');
    assert.equal(tiny.length, 3);
    for (const p of tiny)
      assert.equal(p.bufferFallback, true, `${p.id} keeps no pixel after the 5 m buffer`);
    for (const p of truth.parcels.filter((q) => q.shape !== 'tiny')) {
      assert.ok(p.areaHa >= 0.3 - 1e-6 && p.areaHa <= 10, `${p.id}: ${p.areaHa} ha`);
    }
  });

  it("holds exactly the truth's DN on a clear parcel's interior pixels, in every tile holding it", async () => {
    const truth = await readTruth(dataset.dir);
    const date = DATES[0];
    let checked = 0;
    for (const tile of ['33TWL', '33TWM']) {
      const cogs = scene(tile, date).cogs;
      const rasters = Object.fromEntries(
        await Promise.all(
          (['B04', 'B08', 'B11', 'SCL'] as const).map(
            async (b) => [b, await readRaster(cogs[b]!)] as const,
          ),
        ),
      );
      for (const parcel of truth.parcels.filter((p) => p.tiles.includes(tile))) {
        const observation = parcel.observations.find((o) => o.date === date)!;
        if (observation.cloudTouched) continue;
        const ring = utmRing(parcels.find((f) => f.properties.id === parcel.id)!);
        // Pixels far enough inside that their 20 m cell lies in the parcel too.
        for (const [x, y] of pixelCentresInside(ring, rasters.B04, 30)) {
          for (const band of ['B04', 'B08', 'B11', 'SCL'] as const) {
            assert.equal(
              valueAt(rasters[band], x, y),
              observation.dn[band],
              `${parcel.id} ${band} at ${x}, ${y} in ${tile}`,
            );
          }
          checked++;
        }
      }
    }
    assert.ok(checked > 500, `checked ${checked} pixels`);
  });

  it('gives both tiles the same values over their overlap on the same date', async () => {
    for (const date of DATES) {
      for (const band of ['B04', 'B11', 'SCL'] as const) {
        const south = await readRaster(scene('33TWL', date).cogs[band]!);
        const north = await readRaster(scene('33TWM', date).cogs[band]!);
        // The overlap: from the north tile's bottom edge to the south tile's top edge.
        const top = south.originY;
        const bottom = north.originY - north.height * north.pixel;
        assert.equal(south.originX, north.originX);
        const rows = Math.round((top - bottom) / south.pixel);
        const southRow0 = 0;
        const northRow0 = Math.round((north.originY - top) / north.pixel);
        assert.ok(rows > 100, `overlap of ${rows} rows`);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < south.width; c++) {
            const a = south.data[(southRow0 + r) * south.width + c];
            const b = north.data[(northRow0 + r) * north.width + c];
            if (a !== b) assert.fail(`${band} ${date} row ${r} col ${c}: 33TWL ${a}, 33TWM ${b}`);
          }
        }
      }
      assert.equal(
        JSON.parse(readFileSync(scene('33TWL', date).itemPath, 'utf8')).properties[
          's2:datatake_id'
        ],
        JSON.parse(readFileSync(scene('33TWM', date).itemPath, 'utf8')).properties[
          's2:datatake_id'
        ],
      );
    }
  });

  it('records as realised the mean indices a reader computes from the COGs by the science defaults', async () => {
    const noisy = await generateSynthetic(
      options(join(root, 'noisy'), {
        noise: 0.02,
        dates: ['2024-06-06'],
        scenes: { '2024-06-06': { cloudFraction: 0.3 } },
      }),
    );
    const truth = await readTruth(noisy.dir);
    const features: ParcelFeature[] = JSON.parse(readFileSync(noisy.parcelsPath, 'utf8')).features;
    const cogs = noisy.scenes.find((s) => s.tile === '33TWL')!.cogs;
    const [red, nir, swir, scl] = await Promise.all(
      [cogs.B04!, cogs.B08!, cogs.B11!, cogs.SCL!].map(readRaster),
    );
    const reflectance = (dn: number) => dn * 0.0001 - 0.1;
    let partlyClouded = 0;
    for (const parcel of truth.parcels.filter((p) => p.tiles.includes('33TWL'))) {
      const ring = utmRing(features.find((f) => f.properties.id === parcel.id)!);
      let pixels = pixelCentresInside(ring, red, 5);
      if (pixels.length === 0) pixels = pixelCentresInside(ring, red, 0);
      let valid = 0;
      let ndvi = 0;
      let ndmi = 0;
      for (const [x, y] of pixels) {
        const [r, n, s, c] = [red, nir, swir, scl].map((raster) => valueAt(raster, x, y)!);
        if (r === 0 || n === 0 || s === 0 || ![4, 5, 6, 7].includes(c)) continue;
        valid++;
        ndvi += (reflectance(n) - reflectance(r)) / (reflectance(n) + reflectance(r));
        ndmi += (reflectance(n) - reflectance(s)) / (reflectance(n) + reflectance(s));
      }
      const observation = parcel.observations[0];
      assert.equal(observation.totalPixels, pixels.length, `${parcel.id} total pixels`);
      assert.equal(observation.validPixels, valid, `${parcel.id} valid pixels`);
      if (valid === 0) {
        assert.equal(observation.realisedNdvi, null);
        continue;
      }
      if (valid < pixels.length) partlyClouded++;
      assert.ok(Math.abs(observation.realisedNdvi! - ndvi / valid) < 1e-9, `${parcel.id} NDVI`);
      assert.ok(Math.abs(observation.realisedNdmi! - ndmi / valid) < 1e-9, `${parcel.id} NDMI`);
      // Noise of ±0.02 moves the realised index off the target, but not far.
      assert.ok(
        Math.abs(observation.realisedNdvi! - observation.targetNdvi) < 0.1,
        `${parcel.id} realised NDVI near its target`,
      );
    }
    assert.ok(partlyClouded > 0, 'some parcels were partly clouded');
  });

  it('shifts DN by the 1000 BOA offset unless the offset is marked applied', async () => {
    const applied = await generateSynthetic(
      options(join(root, 'applied'), {
        offsetApplied: true,
        dates: [DATES[0]],
        scenes: { [DATES[0]]: { cloudFraction: 0 } },
      }),
    );
    const withOffset = await readRaster(scene('33TWL', DATES[0]).cogs.B04!);
    const without = await readRaster(applied.scenes.find((s) => s.tile === '33TWL')!.cogs.B04!);
    let compared = 0;
    for (let k = 0; k < withOffset.data.length; k += 97) {
      // DN 1 would be clamped (reflectance ≤ 0); synthetic surfaces are never that dark.
      assert.equal(withOffset.data[k] - without.data[k], 1000);
      compared++;
    }
    assert.ok(compared > 100, `compared ${compared} pixels`);
    const item = (dir: string, id: string) =>
      JSON.parse(readFileSync(join(dir, 'items', `${id}.json`), 'utf8'));
    const id = scene('33TWL', DATES[0]).id;
    assert.equal(item(dataset.dir, id).properties['earthsearch:boa_offset_applied'], false);
    assert.equal(item(applied.dir, id).properties['earthsearch:boa_offset_applied'], true);
    assert.equal(item(applied.dir, id).assets.red['raster:bands'][0].offset, -0.1);
  });

  it('describes each COG in an Earth Search-style item: hrefs, proj:transform, proj:shape, raster:bands', () => {
    const s = scene('33TWM', DATES[1]);
    const item = JSON.parse(readFileSync(s.itemPath, 'utf8'));
    assert.equal(item.id, `S2B_33TWM_20240606_0_L2A`);
    assert.equal(item.collection, 'sentinel-2-l2a');
    assert.equal(item.properties['grid:code'], 'MGRS-33TWM');
    assert.equal(item.properties['proj:epsg'], 32633);
    assert.equal(item.properties['mgrs:grid_square'], 'WM');
    assert.equal(item.properties['s2:processing_baseline'], '05.09');
    assert.deepEqual(Object.keys(item.assets).sort(), ['nir', 'red', 'scl', 'swir16']);
    for (const [key, band] of [
      ['red', 'B04'],
      ['swir16', 'B11'],
      ['scl', 'SCL'],
    ]) {
      const asset = item.assets[key];
      const file = resolve(dirname(s.itemPath), asset.href);
      assert.equal(file, resolve(s.cogs[band as 'B04']!));
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', file], { encoding: 'utf8' }));
      const [x0, pw, , y0, , ph] = info.geoTransform;
      assert.deepEqual(asset['proj:transform'], [pw, 0, x0, 0, ph, y0]);
      assert.deepEqual(asset['proj:shape'], [info.size[1], info.size[0]]);
      assert.equal(asset['raster:bands'][0].nodata, info.bands[0].noDataValue);
      assert.equal(info.metadata.IMAGE_STRUCTURE.PREDICTOR, '2');
    }
    assert.equal(item.assets.red['raster:bands'][0].scale, 0.0001);
    assert.equal(item.assets.scl['raster:bands'][0].data_type, 'uint8');
  });

  it('computes eo:cloud_cover from the SCL written, and the footprint leaves out the no-data wedge', async () => {
    for (const s of dataset.scenes) {
      const item = JSON.parse(readFileSync(s.itemPath, 'utf8'));
      const raster = await readRaster(s.cogs.SCL!);
      const values = Array.from(raster.data);
      const data = values.filter((v) => v !== 0).length;
      const clouds = values.filter((v) => v >= 8 && v <= 10).length;
      assert.ok(Math.abs(item.properties['eo:cloud_cover'] - (100 * clouds) / data) < 1e-4, s.id);
    }
    const wedge = scene('33TWL', DATES[2]);
    const item = JSON.parse(readFileSync(wedge.itemPath, 'utf8'));
    const scl = await readRaster(wedge.cogs.SCL!);
    const b04 = await readRaster(wedge.cogs.B04!);
    // The east edge of the wedge scene has no data; the west edge has.
    const row = Math.floor(scl.height / 2);
    assert.equal(scl.data[row * scl.width + scl.width - 1], 0);
    assert.equal(b04.data[2 * row * b04.width + b04.width - 1], 0);
    assert.notEqual(scl.data[row * scl.width], 0);
    assert.ok(item.properties['s2:nodata_pixel_percentage'] > 10);
    const [eastLon] = toUtm.inverse([REGION[2], (REGION[1] + REGION[3]) / 2]);
    assert.ok(item.bbox[2] < eastLon, 'the footprint stops short of the east edge');
  });

  describe('sky options', () => {
    let sky: SyntheticDataset;
    before(async () => {
      sky = await generateSynthetic({
        out: join(root, 'sky'),
        seed: 7,
        tiles: ['33TWL'],
        region: [560000, 5040000, 566000, 5046000],
        parcels: 60,
        dates: ['2024-07-01', '2024-07-04', '2024-07-08'],
        scenes: {
          '2024-07-01': { cloudFraction: 0.3 },
          '2024-07-04': { fullyClouded: true },
          '2024-07-08': { noData: true },
        },
        bands: ['B04', 'SCL'],
        tileSize: 256,
      });
    });

    const sclOf = async (date: string) =>
      Array.from((await readRaster(sky.scenes.find((s) => s.date === date)!.cogs.SCL!)).data);

    it('covers the configured share of the region with cloud (±3 points)', async () => {
      const values = await sclOf('2024-07-01');
      const share = values.filter((v) => v >= 8 && v <= 10).length / values.length;
      assert.ok(Math.abs(share - 0.3) < 0.03, `cloud share ${share}`);
      assert.ok(values.includes(3), 'clouds cast shadows');
      assert.ok(
        values.includes(4) && values.includes(5) && values.includes(6),
        'vegetation, bare soil and water show',
      );
    });

    it('leaves only cloud classes in the SCL of a fully clouded scene', async () => {
      const classes = new Set(await sclOf('2024-07-04'));
      assert.ok(
        [...classes].every((c) => c >= 8 && c <= 10),
        `classes ${[...classes]}`,
      );
      const truth = await readTruth(sky.dir);
      // Tiny parcels may hold no pixel at all: those are `nodata` whatever the sky.
      for (const p of truth.parcels.filter((q) => q.totalPixels > 0)) {
        assert.equal(p.observations[1].status, 'cloudy', p.id);
        assert.equal(p.observations[1].validPixels, 0, p.id);
      }
    });

    it('writes only zeros for a scene without data and marks every parcel nodata', async () => {
      assert.deepEqual(new Set(await sclOf('2024-07-08')), new Set([0]));
      const b04 = await readRaster(sky.scenes.find((s) => s.date === '2024-07-08')!.cogs.B04!);
      assert.deepEqual(new Set(Array.from(b04.data)), new Set([0]));
      const truth = await readTruth(sky.dir);
      for (const p of truth.parcels) assert.equal(p.observations[2].status, 'nodata', p.id);
    });
  });
});
