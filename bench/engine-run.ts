/**
 * One measurement of the engine in a fresh process (so peak RSS is this run's own): a cold scene
 * (parcels reprojected and rasterised) then a warm one (pixel map reused), on the data written by
 * bench/engine.ts. Prints one JSON object. Usage: tsx bench/engine-run.ts --data DIR
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parcelsFromGeoJson } from '../src/core/geo/parcel-geojson';
import { resolveIndices } from '../src/core/indices/registry';
import { sceneFromItem } from '../src/core/stac/items';
import { computeThreadPool } from '../src/core/zonal/compute-pool';
import { ParcelSet } from '../src/core/zonal/parcel-set';
import { computeSceneStatistics } from '../src/core/zonal/scene-statistics';
import { openByteSource } from '../src/store/sources/open-byte-source';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: 'string' } } });
  const dir = path.resolve(values.data ?? '');
  const indices = resolveIndices(['ndvi', 'ndmi']);
  const itemsDir = path.join(dir, 'items');
  const scenes = readdirSync(itemsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = sceneFromItem(JSON.parse(readFileSync(path.join(itemsDir, file), 'utf8')), {
        requiredBands: ['B04', 'B08', 'B11', 'SCL'],
        baseUrl: pathToFileURL(`${itemsDir}/`).href,
      });
      if (!parsed.ok) throw new Error(parsed.rejected.reason);
      return parsed.scene;
    });
  const load = performance.now();
  const features = parcelsFromGeoJson(
    JSON.parse(readFileSync(path.join(dir, 'parcels.geojson'), 'utf8')),
    {
      source: 'parcels.geojson',
    },
  );
  const parcels = new ParcelSet(features.ids, features.geometries, features.crs);
  const loadMs = performance.now() - load;
  const pool = computeThreadPool();

  const measure = async (sceneIndex: number) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const result = await computeSceneStatistics({
      scene: scenes[sceneIndex]!,
      parcels,
      indices,
      bufferMetres: 5,
      okThreshold: 0.5,
      validSclClasses: [4, 5, 6, 7],
      openSource: (href) => openByteSource(href),
      pool,
    });
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return { result, wallS: wallMs / 1000, cpuS: (used.user + used.system) / 1e6 };
  };
  const cold = await measure(0);
  const warm = await measure(1 % scenes.length);
  const m = warm.result.metrics;
  process.stdout.write(
    `${JSON.stringify({
      parcels: parcels.size,
      threads: pool.size,
      pixels: m.pixels,
      load_parcels_s: round(loadMs / 1000),
      cold_wall_s: round(cold.wallS),
      cold_cpu_s: round(cold.cpuS),
      cold_prepare_s: round(cold.result.metrics.prepareMs / 1000),
      wall_s: round(warm.wallS),
      pixel_phase_s: round(m.pixelMs / 1000),
      statistics_phase_s: round(m.statisticsMs / 1000),
      cpu_s: round(warm.cpuS),
      mpx_per_s: round(m.pixels / warm.wallS / 1e6),
      parcels_per_s: Math.round(parcels.size / warm.wallS),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      bytes_read: m.bytesRead,
      bytes_min: m.tileBytes,
      requests: m.requests,
      tiles_read: m.tilesRead,
    })}\n`,
  );
  process.exit(0);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
