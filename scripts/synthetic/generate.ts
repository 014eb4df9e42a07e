import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BadInputError } from '../../src/core/errors';
import type { BBox, Position } from '../../src/core/geo/types';
import { writeCogFile } from '../../src/core/raster/cog-writer';
import type { RasterGrid } from '../../src/core/raster/grid';
import { type Acquisition, planAcquisitions } from './acquisitions';
import { BAND_SPECS, DECLARED_OFFSET, REFLECTANCE_SCALE, type SyntheticBand } from './bands';
import {
  parametersHash,
  type ResolvedOptions,
  resolveOptions,
  type SyntheticOptions,
} from './options';
import { layOutSurfaces, type SurfaceLayout } from './parcels';
import { createRandom } from './random';
import { renderWindow, sceneSurface } from './render';
import { clipRing, rectangleRing, stacItem } from './stac-item';
import { coverageGrid, type MgrsTile, mgrsTile, tileCoverage } from './tiles';
import { type ParcelTruth, parcelObserver, parcelPixels } from './truth';

/**
 * Synthetic Sentinel-2 L2A data over real MGRS tiles: Earth Search-style STAC items and COGs, the
 * parcels as WGS84 GeoJSON, and the ground truth. Deterministic for a seed; a finished run is
 * skipped when asked again with the same parameters, and finished scenes of an interrupted run
 * are kept.
 *
 * DIR/items/<id>.json, DIR/cogs/<id>/<BAND>.tif, DIR/parcels.geojson, DIR/truth.json,
 * DIR/synthetic.json (the manifest, written last).
 */
export interface SyntheticScene {
  id: string;
  tile: string;
  date: string;
  datetime: string;
  itemPath: string;
  cogs: Partial<Record<SyntheticBand, string>>;
  cloudCover: number;
}

export interface SyntheticDataset {
  dir: string;
  paramsHash: string;
  /** True when an identical earlier run was reused and nothing was written. */
  cached: boolean;
  options: ResolvedOptions;
  scenes: SyntheticScene[];
  parcelsPath: string;
  truthPath: string;
}

export interface SyntheticTruth {
  paramsHash: string;
  seed: number;
  offsetApplied: boolean;
  /** reflectance = DN × scale + offset for this dataset's DN. */
  reflectance: { scale: number; offset: number };
  inwardBufferMetres: number;
  dates: string[];
  scenes: Array<Omit<SyntheticScene, 'itemPath' | 'cogs'>>;
  parcels: ParcelTruth[];
}

const MANIFEST = 'synthetic.json';
const SCENE_MARKER = '.params-hash';
/** Item datetime = datatake start + this + the tile's own offset (real 33TWL: 09:55:49 → 09:58:11). */
const DATATAKE_TO_TILE_MS = 136_000;

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

function scenePaths(out: string, id: string, bands: readonly SyntheticBand[]) {
  return {
    itemPath: join(out, 'items', `${id}.json`),
    cogs: Object.fromEntries(bands.map((band) => [band, join(out, 'cogs', id, `${band}.tif`)])),
  };
}

function sceneId(acquisition: Acquisition, tile: MgrsTile): string {
  return `${acquisition.platformCode}_${tile.id}_${acquisition.date.replaceAll('-', '')}_0_L2A`;
}

function footprint(coverage: BBox, acquisition: Acquisition): Position[] {
  const rectangle = rectangleRing(coverage);
  const { swath, options } = acquisition.atmosphere;
  // A scene without data keeps the footprint it claims (the pipeline must find it and see zeros).
  if (!swath || options.noData) return rectangle;
  const clipped = clipRing(rectangle, swath.sx, swath.sy, swath.edge);
  return clipped.length >= 3 ? clipped : rectangle;
}

async function renderScene(
  options: ResolvedOptions,
  layout: SurfaceLayout,
  acquisition: Acquisition,
  tile: MgrsTile,
  coverage: BBox,
  hash: string,
): Promise<SyntheticScene> {
  const id = sceneId(acquisition, tile);
  const dir = join(options.out, 'cogs', id);
  const { itemPath, cogs } = scenePaths(options.out, id, options.bands);
  const datetime = new Date(
    Date.parse(acquisition.sensingStart) + DATATAKE_TO_TILE_MS + tile.sensingOffsetSeconds * 1000,
  ).toISOString();
  const marker = join(dir, SCENE_MARKER);
  if (existsSync(marker) && existsSync(itemPath) && (await readFile(marker, 'utf8')) === hash) {
    const item = JSON.parse(await readFile(itemPath, 'utf8'));
    return {
      id,
      tile: tile.id,
      date: acquisition.date,
      datetime,
      itemPath,
      cogs,
      cloudCover: item.properties['eo:cloud_cover'],
    };
  }
  const surface = sceneSurface(layout, acquisition, options);
  const histogram = new Float64Array(256);
  const grids: Partial<Record<SyntheticBand, RasterGrid>> = {};
  for (const band of options.bands) {
    const spec = BAND_SPECS[band];
    const grid = coverageGrid(coverage, spec.resolution);
    grids[band] = grid;
    await writeCogFile(join(dir, `${band}.tif`), {
      grid,
      dataType: spec.dataType,
      tileSize: options.tileSize,
      nodata: 0,
      overviews: options.overviews,
      compressionLevel: options.compressionLevel,
      readTile: (window) =>
        renderWindow(surface, band, grid, window, band === 'SCL' ? histogram : undefined),
    });
  }
  const item = stacItem({
    id,
    tile,
    acquisition,
    datetime,
    grids,
    hrefs: Object.fromEntries(options.bands.map((band) => [band, `../cogs/${id}/${band}.tif`])),
    sclHistogram: histogram,
    footprint: footprint(coverage, acquisition),
    offsetApplied: options.offsetApplied,
    processingBaseline: options.processingBaseline,
  });
  await writeAtomically(itemPath, `${JSON.stringify(item, null, 1)}\n`);
  await writeAtomically(marker, hash);
  const cloudCover = (item.properties as Record<string, number>)['eo:cloud_cover'];
  return { id, tile: tile.id, date: acquisition.date, datetime, itemPath, cogs, cloudCover };
}

function parcelsGeoJson(layout: SurfaceLayout): string {
  const features = layout.parcels.map((parcel) => ({
    type: 'Feature',
    properties: { id: parcel.id, name: parcel.name, crop: parcel.crop },
    geometry: { type: 'Polygon', coordinates: [[...parcel.lonLat, parcel.lonLat[0]]] },
  }));
  return `${JSON.stringify({ type: 'FeatureCollection', features })}\n`;
}

function groundTruth(
  options: ResolvedOptions,
  hash: string,
  layout: SurfaceLayout,
  acquisitions: readonly Acquisition[],
  scenes: readonly SyntheticScene[],
): SyntheticTruth {
  const observers = acquisitions.map((acquisition) =>
    parcelObserver(sceneSurface(layout, acquisition, options)),
  );
  const parcels = layout.parcels.map((parcel): ParcelTruth => {
    const { pixels, bufferFallback } = parcelPixels(parcel);
    return {
      id: parcel.id,
      crop: parcel.crop,
      shape: parcel.shape,
      areaHa: parcel.areaHa,
      tiles: parcel.tiles,
      totalPixels: pixels.length / 2,
      bufferFallback,
      observations: observers.map((observe) => observe(parcel, pixels)),
    };
  });
  return {
    paramsHash: hash,
    seed: options.seed,
    offsetApplied: options.offsetApplied,
    reflectance: { scale: REFLECTANCE_SCALE, offset: options.offsetApplied ? 0 : DECLARED_OFFSET },
    inwardBufferMetres: 5,
    dates: options.dates,
    scenes: scenes.map(({ itemPath: _i, cogs: _c, ...scene }) => scene),
    parcels,
  };
}

export async function generateSynthetic(input: SyntheticOptions): Promise<SyntheticDataset> {
  const options = resolveOptions(input);
  const hash = parametersHash(options);
  const manifestPath = join(options.out, MANIFEST);
  const parcelsPath = join(options.out, 'parcels.geojson');
  const truthPath = join(options.out, 'truth.json');
  if (existsSync(manifestPath)) {
    // Paths are rebuilt from today's directory: the data may have been moved since.
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as SyntheticDataset;
    const scenes = manifest.scenes.map((scene) => ({
      ...scene,
      ...scenePaths(options.out, scene.id, options.bands),
    }));
    if (manifest.paramsHash === hash && scenes.every((scene) => existsSync(scene.itemPath))) {
      return {
        ...manifest,
        options,
        scenes,
        dir: options.out,
        parcelsPath,
        truthPath,
        cached: true,
      };
    }
  }
  const random = createRandom(options.seed);
  const layoutRandom = random.fork();
  const skyRandom = random.fork();
  const tiles = options.tiles.map(mgrsTile).flatMap((tile) => {
    const coverage = tileCoverage(tile, options.region);
    return coverage ? [{ tile, coverage }] : [];
  });
  if (tiles.length === 0) {
    throw new BadInputError(
      `Synthetic data: region [${options.region.join(', ')}] meets none of the tiles ${options.tiles.join(', ')}; choose a region in UTM 33N inside them`,
      { code: 'SYNTHETIC_BAD_OPTIONS' },
    );
  }
  const layout = layOutSurfaces(layoutRandom, {
    region: options.region,
    coverages: tiles.map(({ tile, coverage }) => ({ tile: tile.id, bbox: coverage })),
    parcels: options.parcels,
    tinyParcels: options.tinyParcels,
    lakes: options.lakes,
  });
  const acquisitions = planAcquisitions(
    skyRandom,
    options.region,
    options.dates,
    options.processingBaseline,
    (date) => options.scenes[date],
  );
  const scenes: SyntheticScene[] = [];
  for (const acquisition of acquisitions) {
    for (const { tile, coverage } of tiles) {
      scenes.push(await renderScene(options, layout, acquisition, tile, coverage, hash));
    }
  }
  await writeAtomically(parcelsPath, parcelsGeoJson(layout));
  await writeAtomically(
    truthPath,
    `${JSON.stringify(groundTruth(options, hash, layout, acquisitions, scenes))}\n`,
  );
  const dataset: SyntheticDataset = {
    dir: options.out,
    paramsHash: hash,
    cached: false,
    options,
    scenes,
    parcelsPath,
    truthPath,
  };
  await writeAtomically(manifestPath, `${JSON.stringify(dataset, null, 1)}\n`);
  return dataset;
}

export async function readTruth(dir: string): Promise<SyntheticTruth> {
  return JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as SyntheticTruth;
}
