import { performance } from 'node:perf_hooks';
import { BadDataError } from '../errors';
import { bandsFor, type IndexDefinition } from '../indices/registry';
import { type Cog, fetchTiles, openCog, tileLayout } from '../raster/cog-reader';
import { CountingSource } from '../raster/counting-source';
import type { ByteSource } from '../raster/source';
import { checkHarmonisationHistogram, type HarmonisationCheck } from '../stac/harmonise-check';
import type { BandId, Scene } from '../stac/scene';
import type { ThreadPool } from '../thread-pool';
import type { BandTiles, ComputeMessage, UnitMessage, UnitReply } from './compute-messages';
import { runComputeTask } from './compute-task';
import type { ParcelSet, PreparedGrid } from './parcel-set';
import { STAT_FIELDS } from './parcel-statistics';
import { type Placement, placement, workUnits } from './scene-layout';
import { type ObservationStatus, observationStatus } from './status';

/** Units fetched ahead of the threads: enough to hide I/O latency, few enough to bound memory. */
const PREFETCH_UNITS_PER_THREAD = 2;
/** File-adjacent tiles may be separated by GDAL's 4-byte size leader and trailer; reading them costs nothing. */
const MAX_GAP_BYTES = 16;

export interface ComputeSceneOptions {
  scene: Scene;
  parcels: ParcelSet;
  indices: readonly IndexDefinition[];
  /** Inward buffer (m); parcels left without a pixel fall back to none, flagged. */
  bufferMetres: number;
  okThreshold: number;
  validSclClasses: readonly number[];
  /** Opens the bytes behind a band href (file, HTTP, S3): injected so the core stays I/O-agnostic. */
  openSource: (href: string) => ByteSource;
  /** Worker threads for decoding and pixel work; without a pool everything runs in this thread. */
  pool?: ThreadPool;
  signal?: AbortSignal;
  /** Called after each work unit, e.g. to heartbeat an activity. */
  onProgress?: (done: number, total: number) => void;
}

/** Statistics of one index for one parcel on one scene. */
export interface ParcelObservation {
  /** Position of the parcel in the ParcelSet. */
  parcel: number;
  parcelId: string;
  index: string;
  mean: number | null;
  median: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  p10: number | null;
  p90: number | null;
  validPixels: number;
  totalPixels: number;
  validFraction: number;
  status: ObservationStatus;
  /** `buffer-fallback`, `outside-raster`, `offset-suspect`. */
  flags: string[];
}

export interface SceneMetrics {
  /** True when the parcels had to be rasterised on this grid (first scene of a grid). */
  cold: boolean;
  units: number;
  tilesRead: number;
  requests: number;
  bytesRead: number;
  /** Compressed size of the tiles read: the least any reader must fetch for these parcels. */
  tileBytes: number;
  pixels: number;
  prepareMs: number;
  pixelMs: number;
  statisticsMs: number;
}

export interface SceneStatistics {
  sceneId: string;
  observations: ParcelObservation[];
  harmonisationCheck: HarmonisationCheck;
  metrics: SceneMetrics;
}

interface OpenedBand {
  band: BandId;
  cog: Cog;
  source: CountingSource;
}

/**
 * Per-parcel statistics of each index on one scene. Reads only the internal tiles holding parcel
 * pixels (each once, adjacent ones in one request), decodes and evaluates them in worker threads
 * straight into shared memory, then computes each parcel's statistics. Parcels outside the scene or
 * on nodata are counted, never dropped; a corrupt or unreadable file fails with a BadDataError
 * naming it.
 */
export async function computeSceneStatistics(
  options: ComputeSceneOptions,
): Promise<SceneStatistics> {
  const { scene, parcels, indices, signal } = options;
  const started = performance.now();
  const bandIds = bandsFor(indices);
  const opened = await openBands(scene, bandIds, options.openSource, signal);
  try {
    const reflectance = opened.filter((b) => b.band !== 'SCL');
    const scl = opened.find((b) => b.band === 'SCL')!;
    const reference = reflectance.reduce((best, b) =>
      b.cog.grid.pixelWidth < best.cog.grid.pixelWidth ? b : best,
    );
    checkSameCrs(scene, opened, reference);
    const grid = reference.cog.grid;
    const blockSize = reference.cog.tileWidth;
    const cold = !parcels.isPrepared(grid, blockSize, options.bufferMetres);
    const prepared = parcels.prepare(grid, blockSize, options.bufferMetres);
    const prepareMs = performance.now() - started;

    const nIndices = indices.length;
    const classes = indices.map(() => new Uint8Array(new SharedArrayBuffer(prepared.slotCount)));
    const values = indices.map(
      () => new Float32Array(new SharedArrayBuffer(prepared.slotCount * 4)),
    );
    const placements = reflectance.map((b) => placement(b.cog, reference.cog));
    const sclPlacement = placement(scl.cog, reference.cog);
    const checkBand = reflectance.findIndex((b) => b.band === 'B04');
    const validScl = new Uint8Array(256);
    for (const c of options.validSclClasses) validScl[c] = 1;
    const indexArgs = indices.map((index) => {
      const positions = index.bands.map((band) => reflectance.findIndex((b) => b.band === band));
      return {
        name: index.name,
        args: [positions[0]!, positions[1] ?? positions[0]!, positions[2] ?? positions[0]!] as [
          number,
          number,
          number,
        ],
      };
    });

    const units = workUnits(prepared, [...placements, sclPlacement]);
    const histogram = new Uint32Array(65536);
    let tilesRead = 0;
    let tileBytes = 0;
    let done = 0;
    const run = (message: ComputeMessage, transfer: ArrayBuffer[]) =>
      options.pool
        ? options.pool.run<UnitReply | { kind: 'stats-done' }>(message, transfer)
        : Promise.resolve(runComputeTask(message));

    const pixelStart = performance.now();
    const inFlight = new Set<Promise<void>>();
    const limit = Math.max(1, (options.pool?.size ?? 1) * PREFETCH_UNITS_PER_THREAD);
    for (const unit of units) {
      signal?.throwIfAborted();
      const fetchBand = async (b: OpenedBand, place: Placement, at: number): Promise<BandTiles> => {
        const tiles = unit.tiles[at]!;
        const bytes = await fetchTiles(b.cog, tiles, { signal, maxGapBytes: MAX_GAP_BYTES });
        const out: BandTiles = { ...place, tiles: [] };
        for (const [index, data] of bytes) {
          if (data.byteLength === 0) continue; // sparse: reads as nodata
          tilesRead++;
          tileBytes += data.byteLength;
          out.tiles.push({ index, bytes: data, layout: tileLayout(b.cog, index) });
        }
        return out;
      };
      const [bandTiles, sclTiles] = await Promise.all([
        Promise.all(reflectance.map((b, i) => fetchBand(b, placements[i]!, i))),
        fetchBand(scl, sclPlacement, reflectance.length),
      ]);
      const message: UnitMessage = {
        kind: 'unit',
        blockSize,
        blocks: unit.blocks.map(({ bx, by, pixel, slot }) => ({ bx, by, pixel, slot })),
        bands: bandTiles,
        scl: sclTiles,
        checkBand,
        validScl,
        scale: scene.harmonisation.scale,
        offset: scene.harmonisation.offset,
        indices: indexArgs,
        classes,
        values,
      };
      const transfer = packTiles([...bandTiles, sclTiles]);
      const task = run(message, transfer).then((reply) => {
        const unitHistogram = (reply as UnitReply).histogram;
        for (let dn = 0; dn < unitHistogram.length; dn++) histogram[dn]! += unitHistogram[dn]!;
        done++;
        options.onProgress?.(done, units.length);
      });
      const tracked = task.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const pixelMs = performance.now() - pixelStart;

    const statsStart = performance.now();
    const results = new Float64Array(
      new SharedArrayBuffer(parcels.size * nIndices * STAT_FIELDS.length * 8),
    );
    const counts = new Int32Array(new SharedArrayBuffer(parcels.size * nIndices * 2 * 4));
    const inputs = { parcelStart: prepared.parcelStart, classes, values, results, counts };
    const parts = options.pool ? options.pool.size * 4 : 1;
    const step = Math.ceil(parcels.size / parts);
    const ranges: Array<[number, number]> = [];
    for (let from = 0; from < parcels.size; from += step)
      ranges.push([from, Math.min(parcels.size, from + step)]);
    await Promise.all(ranges.map(([from, to]) => run({ kind: 'stats', inputs, from, to }, [])));
    const statisticsMs = performance.now() - statsStart;

    const harmonisationCheck = checkHarmonisationHistogram(scene.harmonisation, 'B04', histogram);
    const observations = buildObservations(
      options,
      prepared,
      results,
      counts,
      harmonisationCheck.status === 'suspect',
    );
    return {
      sceneId: scene.id,
      observations,
      harmonisationCheck,
      metrics: {
        cold,
        units: units.length,
        tilesRead,
        requests: opened.reduce((sum, b) => sum + b.source.requests, 0),
        bytesRead: opened.reduce((sum, b) => sum + b.source.bytes, 0),
        tileBytes,
        pixels: prepared.slotCount,
        prepareMs,
        pixelMs,
        statisticsMs,
      },
    };
  } finally {
    await Promise.all(opened.map((b) => b.source.close().catch(() => undefined)));
  }
}

async function openBands(
  scene: Scene,
  bands: readonly BandId[],
  openSource: (href: string) => ByteSource,
  signal: AbortSignal | undefined,
): Promise<OpenedBand[]> {
  const missing = bands.filter((band) => !scene.bands[band]);
  if (missing.length) {
    throw new BadDataError(
      `Scene ${scene.id} has no ${missing.join(', ')} asset; it cannot give these indices — skip it`,
      {
        code: 'SCENE_MISSING_BAND',
      },
    );
  }
  const opened: OpenedBand[] = [];
  try {
    for (const band of bands) {
      const source = new CountingSource(openSource(scene.bands[band]!.href));
      opened.push({ band, source, cog: await openCog(source, { signal }) });
    }
  } catch (error) {
    await Promise.all(opened.map((b) => b.source.close().catch(() => undefined)));
    throw error;
  }
  return opened;
}

function checkSameCrs(scene: Scene, opened: OpenedBand[], reference: OpenedBand): void {
  for (const b of opened) {
    if (b.cog.grid.epsg !== reference.cog.grid.epsg) {
      throw new BadDataError(
        `Scene ${scene.id}: band ${b.band} (${b.source.url}) is in EPSG:${b.cog.grid.epsg} but ${reference.band} is in EPSG:${reference.cog.grid.epsg}; the bands of one scene must share a CRS`,
        { code: 'SCENE_MIXED_CRS' },
      );
    }
  }
}

/**
 * Packs a unit's compressed tiles into one buffer of its own, handed over to the thread rather than
 * copied: the views a source returns may share memory with other reads, which must not be detached.
 */
function packTiles(bands: BandTiles[]): ArrayBuffer[] {
  let total = 0;
  for (const band of bands) for (const tile of band.tiles) total += tile.bytes.byteLength;
  const packed = new Uint8Array(total);
  let at = 0;
  for (const band of bands) {
    for (const tile of band.tiles) {
      packed.set(tile.bytes, at);
      tile.bytes = packed.subarray(at, at + tile.bytes.byteLength);
      at += tile.bytes.byteLength;
    }
  }
  return [packed.buffer];
}

function buildObservations(
  options: ComputeSceneOptions,
  prepared: PreparedGrid,
  results: Float64Array,
  counts: Int32Array,
  offsetSuspect: boolean,
): ParcelObservation[] {
  const { parcels, indices, okThreshold } = options;
  const map = prepared.map;
  const observations: ParcelObservation[] = [];
  const stat = (at: number, k: number) => {
    const v = results[at * STAT_FIELDS.length + k]!;
    return Number.isNaN(v) ? null : v;
  };
  for (let p = 0; p < parcels.size; p++) {
    const flags: string[] = [];
    if (map.bufferFallback[p]) flags.push('buffer-fallback');
    if (map.outsidePixels[p]! > 0) flags.push('outside-raster');
    if (offsetSuspect) flags.push('offset-suspect');
    const total = map.totalPixels[p]!;
    for (let i = 0; i < indices.length; i++) {
      const at = p * indices.length + i;
      const withData = counts[at * 2]!;
      const valid = counts[at * 2 + 1]!;
      observations.push({
        parcel: p,
        parcelId: parcels.ids[p]!,
        index: indices[i]!.name,
        mean: stat(at, 0),
        median: stat(at, 1),
        std: stat(at, 2),
        min: stat(at, 3),
        max: stat(at, 4),
        p10: stat(at, 5),
        p90: stat(at, 6),
        validPixels: valid,
        totalPixels: total,
        validFraction: total === 0 ? 0 : valid / total,
        status: observationStatus({ total, withData, valid }, okThreshold),
        flags,
      });
    }
  }
  return observations;
}
