import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  generateSynthetic,
  readTruth,
  type SyntheticTruth,
} from '../../../scripts/synthetic/generate';
import { reprojectGeometry } from '../../../src/core/geo/crs';
import { geometryBBox } from '../../../src/core/geo/geometry';
import { parcelsFromGeoJson } from '../../../src/core/geo/parcel-geojson';
import { primaryTile } from '../../../src/core/geo/primary-tile';
import { resolveIndices } from '../../../src/core/indices/registry';
import { sceneFromItem } from '../../../src/core/stac/items';
import type { Scene } from '../../../src/core/stac/scene';
import { computeThreadPool } from '../../../src/core/zonal/compute-pool';
import { ParcelSet } from '../../../src/core/zonal/parcel-set';
import {
  computeSceneStatistics,
  type ParcelObservation,
} from '../../../src/core/zonal/scene-statistics';
import { openByteSource } from '../../../src/store/sources/open-byte-source';
import { REPO_ROOT } from '../../helpers/services';

/** Small internal tiles so many parcels straddle tile (and 20 m pixel) boundaries. */
const TILE_SIZE = 128;
const DATES = { clear: '2024-05-06', partly: '2024-05-09', clouded: '2024-05-13' };

describe('engine known answers on synthetic scenes (by construction)', function () {
  this.timeout(300_000);
  let truth: SyntheticTruth;
  let scenes: Scene[];
  let parcels: ParcelSet;
  /** Per date: parcel id → its observation (NDVI and NDMI), from its primary tile's scene only. */
  const observed = new Map<string, Map<string, Record<string, ParcelObservation>>>();
  const primary = new Map<string, string>();

  before(async () => {
    const dataset = await generateSynthetic({
      out: path.join(REPO_ROOT, '.parcelwatch', 'test-data', 'known-answers'),
      seed: 7,
      parcels: 120,
      tinyParcels: 4,
      dates: Object.values(DATES),
      scenes: {
        [DATES.clear]: { cloudFraction: 0, shadows: false },
        [DATES.partly]: { cloudFraction: 0.35, nodataWedge: 0.3 },
        [DATES.clouded]: { fullyClouded: true },
      },
      bands: ['B04', 'B08', 'B11', 'SCL'],
      tileSize: TILE_SIZE,
    });
    truth = await readTruth(dataset.dir);
    scenes = dataset.scenes.map((s) => {
      const parsed = sceneFromItem(JSON.parse(readFileSync(s.itemPath, 'utf8')), {
        requiredBands: ['B04', 'B08', 'B11', 'SCL'],
        baseUrl: pathToFileURL(`${path.dirname(s.itemPath)}/`).href,
      });
      assert.ok(parsed.ok, `${s.id} parses`);
      return parsed.scene;
    });
    const features = parcelsFromGeoJson(JSON.parse(readFileSync(dataset.parcelsPath, 'utf8')), {
      source: 'parcels.geojson',
    });
    features.ids.forEach((id, i) => {
      primary.set(id, primaryTile(features.geometries[i]!).tile);
    });
    // The pipeline's rule: each parcel is computed in its primary tile only.
    for (const tile of new Set(primary.values())) {
      const mine = features.ids
        .map((id, i) => [id, i] as const)
        .filter(([id]) => primary.get(id) === tile);
      parcels = new ParcelSet(
        mine.map(([id]) => id),
        mine.map(([, i]) => features.geometries[i]!),
      );
      for (const scene of scenes.filter((s) => s.tile === tile)) {
        const result = await computeSceneStatistics({
          scene,
          parcels,
          indices: resolveIndices(['ndvi', 'ndmi']),
          bufferMetres: truth.inwardBufferMetres,
          okThreshold: 0.5,
          validSclClasses: [4, 5, 6, 7],
          openSource: (href) => openByteSource(href),
          pool: computeThreadPool(),
        });
        const date = scene.acquiredAt.slice(0, 10);
        const byParcel = observed.get(date) ?? new Map();
        for (const o of result.observations) {
          const entry = byParcel.get(o.parcelId) ?? {};
          assert.equal(
            entry[o.index],
            undefined,
            `${o.parcelId} ${o.index} ${date} observed twice`,
          );
          entry[o.index] = o;
          byParcel.set(o.parcelId, entry);
        }
        observed.set(date, byParcel);
      }
    }
  });

  function obs(date: string, id: string) {
    const found = observed.get(date)?.get(id);
    assert.ok(found, `no observation of ${id} on ${date}`);
    return found;
  }

  it('gives every parcel exactly one observation per acquisition, tile overlap included', () => {
    const overlap = truth.parcels.filter((p) => p.tiles.length === 2);
    assert.ok(overlap.length >= 5, `only ${overlap.length} parcels in the overlap`);
    for (const date of Object.values(DATES)) {
      assert.equal(
        observed.get(date)?.size,
        truth.parcels.length,
        `${date}: one observation per parcel`,
      );
    }
    for (const p of overlap)
      assert.ok(p.tiles.includes(primary.get(p.id)!), `${p.id} is computed in one of its tiles`);
  });

  it('finds the exact index of constant-reflectance parcels under a clear sky', () => {
    let checked = 0;
    for (const p of truth.parcels) {
      const t = p.observations.find((o) => o.date === DATES.clear)!;
      if (t.validPixels === 0 || t.cloudTouched || t.nodataTouched) continue;
      const o = obs(DATES.clear, p.id);
      // reflectance = DN × 0.0001 − 0.1 (baseline ≥ 04.00, offset not applied by the provider)
      const r = (band: 'B04' | 'B08' | 'B11') =>
        t.dn[band] * truth.reflectance.scale + truth.reflectance.offset;
      const ndvi = Math.fround((r('B08') - r('B04')) / (r('B08') + r('B04')));
      const ndmi = Math.fround((r('B08') - r('B11')) / (r('B08') + r('B11')));
      assert.equal(o.ndvi!.mean, ndvi, `${p.id} NDVI`);
      assert.equal(o.ndvi!.std, 0, `${p.id} NDVI is constant`);
      assert.equal(o.ndvi!.median, ndvi);
      // SWIR is 20 m: an edge pixel may sample a 20 m cell centred outside the parcel, so only the
      // bulk of the parcel (its median) holds the exact NDMI; the mean is checked against the truth.
      if (o.ndmi!.validPixels >= 20) assert.equal(o.ndmi!.median, ndmi, `${p.id} NDMI`);
      assert.equal(o.ndvi!.status, 'ok');
      checked++;
    }
    assert.ok(checked > 50, `only ${checked} clear parcels checked`);
  });

  it('counts clouded and nodata pixels as the truth does, and sets the status by the valid fraction', () => {
    let partial = 0;
    let edge = 0;
    for (const p of truth.parcels) {
      for (const date of Object.values(DATES)) {
        const t = p.observations.find((o) => o.date === date)!;
        const o = obs(date, p.id).ndvi!;
        assert.equal(o.totalPixels, t.totalPixels, `${p.id} ${date} total`);
        assert.equal(o.validPixels, t.validPixels, `${p.id} ${date} valid`);
        assert.equal(o.status, t.status, `${p.id} ${date} status`);
        if (t.realisedNdvi === null) assert.equal(o.mean, null);
        else
          assert.ok(
            Math.abs(o.mean! - t.realisedNdvi) < 1e-6,
            `${p.id} ${date} mean ${o.mean} vs ${t.realisedNdvi}`,
          );
        const ndmi = obs(date, p.id).ndmi!;
        if (t.realisedNdmi === null) assert.equal(ndmi.mean, null);
        else
          assert.ok(
            Math.abs(ndmi.mean! - t.realisedNdmi) < 1e-6,
            `${p.id} ${date} NDMI ${ndmi.mean} vs ${t.realisedNdmi}`,
          );
        if (t.cloudTouched && t.validPixels > 0 && t.validPixels < t.totalPixels) partial++;
        if (t.nodataTouched && t.dataPixels > 0) edge++;
      }
    }
    assert.ok(partial >= 3, `only ${partial} partly clouded parcels`);
    assert.ok(edge >= 1, 'no parcel across the nodata edge');
  });

  it('makes every parcel cloudy under a fully clouded sky, with no statistic', () => {
    for (const p of truth.parcels) {
      const o = obs(DATES.clouded, p.id).ndvi!;
      if (p.totalPixels === 0) continue;
      assert.equal(o.status, 'cloudy', p.id);
      assert.equal(o.validPixels, 0);
      assert.equal(o.mean, null);
    }
  });

  it('flags the tiny parcels the inward buffer would empty', () => {
    const tiny = truth.parcels.filter((p) => p.bufferFallback);
    assert.ok(tiny.length >= 2, 'tiny parcels generated');
    for (const p of truth.parcels) {
      assert.equal(
        obs(DATES.clear, p.id).ndvi!.flags.includes('buffer-fallback'),
        p.bufferFallback,
        p.id,
      );
    }
  });

  it('gets parcels straddling internal-tile and 20 m pixel boundaries right', () => {
    const features = parcelsFromGeoJson(
      JSON.parse(
        readFileSync(
          path.join(REPO_ROOT, '.parcelwatch', 'test-data', 'known-answers', 'parcels.geojson'),
          'utf8',
        ),
      ),
      { source: 'parcels.geojson' },
    );
    const originX = 499980; // 33TWL and 33TWM share their west edge
    let straddling = 0;
    features.geometries.forEach((g, i) => {
      const [minX, , maxX] = geometryBBox(reprojectGeometry(g, 4326, 32633));
      const tileMetres = TILE_SIZE * 10;
      if (Math.floor((minX - originX) / tileMetres) !== Math.floor((maxX - originX) / tileMetres)) {
        straddling++;
        const t = truth.parcels
          .find((p) => p.id === features.ids[i])!
          .observations.find((o) => o.date === DATES.clear)!;
        assert.equal(obs(DATES.clear, features.ids[i]!).ndvi!.validPixels, t.validPixels);
      }
    });
    assert.ok(straddling >= 3, `only ${straddling} parcels straddle a tile boundary`);
  });
});
