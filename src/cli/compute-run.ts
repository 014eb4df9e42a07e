import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config';
import { writeFileAtomically } from '../core/atomic-file';
import { BadInputError } from '../core/errors';
import { parcelsFromGeoJson } from '../core/geo/parcel-geojson';
import { bandsFor, resolveIndices } from '../core/indices/registry';
import { sceneFromItem } from '../core/stac/items';
import type { BandId, Scene } from '../core/stac/scene';
import { ThreadPool } from '../core/thread-pool';
import { computeThreadPool } from '../core/zonal/compute-pool';
import { observationCsvHeader, observationCsvLine } from '../core/zonal/observations-csv';
import { ParcelSet } from '../core/zonal/parcel-set';
import { computeSceneStatistics } from '../core/zonal/scene-statistics';
import { openByteSource } from '../store/sources/open-byte-source';
import type { ComputeOptions } from './commands/compute';

/** `parcelwatch compute`: the pipeline's engine on one item and one parcel file, to CSV. */
export async function runCompute(options: ComputeOptions): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  const indices = resolveIndices(
    (options.index ?? config.science.indices.join(',')).split(',').map((s) => s.trim()),
  );
  const bufferMetres = numberOption(
    '--buffer',
    options.buffer,
    config.science.bufferMetres,
    0,
    1000,
  );
  const okThreshold = numberOption(
    '--threshold',
    options.threshold,
    config.science.okThreshold,
    0,
    1,
  );
  const validSclClasses = options.validScl
    ? options.validScl.split(',').map((c) => numberOption('--valid-scl', c, 0, 0, 11))
    : config.science.validSclClasses;

  const { item, baseUrl } = await readItem(options.item);
  const parsed = sceneFromItem(item, { requiredBands: bandsFor(indices), baseUrl });
  if (!parsed.ok) {
    throw new BadInputError(`--item ${options.item}: ${parsed.rejected.reason}`, {
      code: 'ITEM_REJECTED',
    });
  }
  if (options.assets) rebaseAssets(parsed.scene, path.resolve(options.assets));
  const parcelsFile = path.resolve(options.parcels);
  const features = parcelsFromGeoJson(JSON.parse(await readText(parcelsFile, '--parcels')), {
    source: options.parcels,
    idField: options.idField,
    srs: options.srs,
  });
  const parcels = new ParcelSet(features.ids, features.geometries, features.crs);

  const threads =
    options.threads === undefined
      ? undefined
      : numberOption('--threads', options.threads, 1, 1, 256);
  const pool =
    threads === undefined
      ? computeThreadPool()
      : new ThreadPool(computeThreadPool().modulePath, threads);
  try {
    const result = await computeSceneStatistics({
      scene: parsed.scene,
      parcels,
      indices,
      bufferMetres,
      okThreshold,
      validSclClasses,
      openSource: (href) => openByteSource(href, { s3: { unsigned: true } }),
      pool,
    });
    const lines = [observationCsvHeader(), ...result.observations.map(observationCsvLine)];
    if (options.out) await writeFileAtomically(options.out, [Buffer.from(lines.join(''))]);
    else process.stdout.write(lines.join(''));

    const statuses: Record<string, number> = {};
    for (const o of result.observations) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
    const summary = {
      scene: result.sceneId,
      parcels: parcels.size,
      indices: indices.map((i) => i.name),
      observations: result.observations.length,
      statuses,
      harmonisation: {
        rule: parsed.scene.harmonisation.rule,
        offset: parsed.scene.harmonisation.offset,
        check: result.harmonisationCheck.status,
      },
      bytesRead: result.metrics.bytesRead,
      requests: result.metrics.requests,
      seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
    };
    if (options.json) process.stderr.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stderr.write(
        `${summary.scene}: ${summary.parcels} parcels × ${summary.indices.join(',')} → ${Object.entries(
          statuses,
        )
          .map(([s, n]) => `${n} ${s}`)
          .join(
            ', ',
          )}; harmonisation ${summary.harmonisation.rule} (offset ${summary.harmonisation.offset}, check ${summary.harmonisation.check}); ${(summary.bytesRead / 1e6).toFixed(1)} MB in ${summary.requests} requests; ${summary.seconds} s${options.out ? `; wrote ${options.out}` : ''}\n`,
      );
      for (const reason of result.harmonisationCheck.status === 'suspect'
        ? result.harmonisationCheck.reasons
        : []) {
        process.stderr.write(`warning: ${reason}\n`);
      }
    }
  } finally {
    if (threads !== undefined) await pool.close();
  }
}

/** Points every band at the file of the same name in `dir` (assets downloaded beside the item). */
function rebaseAssets(scene: Scene, dir: string): void {
  for (const band of Object.keys(scene.bands) as BandId[]) {
    const current = scene.bands[band]!;
    const name = path.posix.basename(new URL(current.href).pathname);
    scene.bands[band] = { ...current, href: pathToFileURL(path.join(dir, name)).href };
  }
}

async function readItem(item: string): Promise<{ item: unknown; baseUrl: string }> {
  if (/^https?:\/\//i.test(item)) {
    const response = await fetch(item, {
      signal: AbortSignal.timeout(30_000),
      headers: { accept: 'application/geo+json, application/json' },
    });
    if (!response.ok)
      throw new BadInputError(`--item ${item}: HTTP ${response.status}; check the URL`, {
        code: 'ITEM_HTTP',
      });
    return { item: await response.json(), baseUrl: item };
  }
  const file = path.resolve(item);
  const text = await readText(file, '--item');
  try {
    return { item: JSON.parse(text), baseUrl: pathToFileURL(`${path.dirname(file)}/`).href };
  } catch (error) {
    throw new BadInputError(`--item ${item} is not valid JSON (${(error as Error).message})`, {
      code: 'ITEM_BAD_JSON',
    });
  }
}

async function readText(file: string, option: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new BadInputError(
      `${option} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      {
        code: 'FILE_UNREADABLE',
      },
    );
  }
}

function numberOption(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new BadInputError(`${name} ${value} is not a number in [${min}, ${max}]`, {
      code: 'OPTION_INVALID',
    });
  }
  return parsed;
}
