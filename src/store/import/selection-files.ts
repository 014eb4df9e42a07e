import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '../../core/errors';
import { reprojectGeometry, resolveCrs } from '../../core/geo/crs';
import { validateGeometry } from '../../core/geo/geometry';
import { ID_FIELD_GUESSES } from '../../core/geo/parcel-geojson';
import type { MultiPolygon, ParcelGeometry, Ring } from '../../core/geo/types';

/**
 * Files that select parcels for a watch list: a list of external ids (one per line, or a column
 * of a CSV), and an area (GeoJSON polygons). Both are small next to a parcel file and are read whole.
 */

/** Larger selection files are a parcel file given to the wrong option. */
const MAX_SELECTION_FILE_BYTES = 256 * 1024 ** 2;
const ID_HEADERS = [...ID_FIELD_GUESSES, 'parcel', 'parcelid'].map((h) => h.toLowerCase());

async function readSmallFile(file: string, what: string): Promise<string> {
  const size = await stat(file).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined) {
    throw new BadInputError(`${what} ${file} does not exist`, { code: 'SELECTION_FILE_MISSING' });
  }
  if (size > MAX_SELECTION_FILE_BYTES) {
    throw new BadInputError(
      `${what} ${file} is ${Math.round(size / 1024 ** 2)} MB, more than a selection needs (limit ${MAX_SELECTION_FILE_BYTES / 1024 ** 2} MB)`,
      { code: 'SELECTION_FILE_TOO_LARGE' },
    );
  }
  return readFile(file, 'utf8');
}

/**
 * External ids from a file: one per line (blank lines and `#` comments skipped), or a CSV
 * (comma, semicolon or tab) whose header names the id column — `column`, else a usual id name,
 * else the first column.
 */
export async function readIdList(file: string, column?: string): Promise<string[]> {
  const lines = (await readSmallFile(file, 'id list'))
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  if (lines.length === 0) return [];
  const separator = [',', ';', '\t'].find((s) => lines[0].includes(s));
  const header = splitCsvLine(lines[0], separator);
  const named =
    column !== undefined
      ? header.indexOf(column)
      : header.findIndex((h) => ID_HEADERS.includes(h.toLowerCase()));
  if (column !== undefined && named < 0) {
    throw new BadInputError(
      `${path.basename(file)} has no column "${column}"; its header: ${header.join(', ')}`,
      {
        code: 'SELECTION_COLUMN_UNKNOWN',
      },
    );
  }
  const hasHeader = named >= 0 || separator !== undefined;
  const index = Math.max(named, 0);
  return lines
    .slice(hasHeader ? 1 : 0)
    .map((line) => (splitCsvLine(line, separator)[index] ?? '').trim())
    .filter((id) => id !== '');
}

/** Splits one CSV line, honouring double quotes ("a,b" and "" inside quotes). */
function splitCsvLine(line: string, separator: string | undefined): string[] {
  if (separator === undefined) return [line.trim()];
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      out.push(cell);
      cell = '';
    } else cell += c;
  }
  out.push(cell);
  return out;
}

/**
 * The polygons of a GeoJSON file (FeatureCollection, Feature or geometry) as one WGS 84
 * MultiPolygon; the legacy `crs` member or `srs` gives their CRS (default WGS 84).
 */
export async function readSelectionArea(file: string, srs?: string): Promise<MultiPolygon> {
  const name = path.basename(file);
  let json: unknown;
  try {
    json = JSON.parse(await readSmallFile(file, 'area file'));
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(`${name} is not valid JSON (${(error as Error).message})`, {
      code: 'SELECTION_AREA_INVALID',
    });
  }
  const root = json as { crs?: { properties?: { name?: unknown } } };
  const declared = root?.crs?.properties?.name;
  const crs = resolveCrs(srs ?? (typeof declared === 'string' ? declared : 4326));
  const polygons: Ring[][] = [];
  const collect = (geometry: unknown, where: string) => {
    const problems = validateGeometry(geometry, { geographic: crs.geographic });
    if (problems.length > 0) {
      throw new BadInputError(
        `${name}: ${where}: ${problems.map((p) => p.message).join('; ')}; an area is given as Polygon or MultiPolygon geometries`,
        { code: 'SELECTION_AREA_INVALID' },
      );
    }
    const wgs84 = reprojectGeometry(geometry as ParcelGeometry, crs, 4326);
    if (wgs84.type === 'Polygon') polygons.push(wgs84.coordinates);
    else polygons.push(...wgs84.coordinates);
  };
  const node = json as { type?: unknown; features?: unknown; geometry?: unknown };
  if (node?.type === 'FeatureCollection' && Array.isArray(node.features)) {
    node.features.forEach((f: { geometry?: unknown }, i: number) => {
      collect(f?.geometry, `feature ${i + 1}`);
    });
  } else if (node?.type === 'Feature') {
    collect(node.geometry, 'the feature');
  } else {
    collect(json, 'the geometry');
  }
  if (polygons.length === 0) {
    throw new BadInputError(`${name} holds no polygon; give the area as GeoJSON polygons`, {
      code: 'SELECTION_AREA_EMPTY',
    });
  }
  return { type: 'MultiPolygon', coordinates: polygons };
}
