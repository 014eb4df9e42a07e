import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '../../core/errors';
import type { FeatureReader, ParcelFileFormat, ReaderOptions } from './feature-reader';
import { openGeoJson } from './geojson-reader';
import { openGeoPackage } from './geopackage-reader';
import { openShapefileParcels } from './shapefile-reader';

const BY_EXTENSION: Record<string, ParcelFileFormat> = {
  '.geojson': 'geojson',
  '.json': 'geojson',
  '.gpkg': 'geopackage',
  '.zip': 'shapefile',
  '.shp': 'shapefile',
};

/** Opens a parcel file with the reader its extension (or, failing that, its first bytes) calls for. */
export async function openParcelFile(
  file: string,
  options: ReaderOptions = {},
): Promise<FeatureReader> {
  const found = await stat(file).catch(() => undefined);
  if (!found?.isFile()) {
    throw new BadInputError(`${file} does not exist or is not a file`, {
      code: 'PARCELS_FILE_MISSING',
    });
  }
  if (found.size === 0) {
    throw new BadInputError(`${path.basename(file)} is empty (0 bytes); nothing to import`, {
      code: 'PARCELS_FILE_EMPTY',
    });
  }
  const byExtension = BY_EXTENSION[path.extname(file).toLowerCase()];
  const sniffed = await sniffFormat(file);
  // A file whose bytes say another format than its name would fail deep in the wrong reader.
  if (byExtension && sniffed && sniffed !== byExtension) {
    throw new BadInputError(
      `${path.basename(file)} is named like ${FORMAT_NAMES[byExtension]} but holds ${FORMAT_NAMES[sniffed]}; rename it (${EXTENSION_OF[sniffed]}) or give the right file`,
      { code: 'PARCELS_EXTENSION_MISMATCH' },
    );
  }
  const format = byExtension ?? sniffed;
  if (format === undefined) {
    throw new BadInputError(
      `${path.basename(file)} is neither GeoJSON, GeoPackage nor a zipped Shapefile; convert it with ogr2ogr (e.g. \`ogr2ogr -f GPKG parcels.gpkg ${path.basename(file)}\`)`,
      { code: 'PARCELS_FORMAT_UNKNOWN' },
    );
  }
  switch (format) {
    case 'geojson':
      return openGeoJson(file, options);
    case 'geopackage':
      return openGeoPackage(file, options);
    case 'shapefile':
      return openShapefileParcels(file, options);
  }
}

const FORMAT_NAMES: Record<ParcelFileFormat, string> = {
  geojson: 'GeoJSON',
  geopackage: 'a GeoPackage',
  shapefile: 'a zipped Shapefile',
};
const EXTENSION_OF: Record<ParcelFileFormat, string> = {
  geojson: '.geojson',
  geopackage: '.gpkg',
  shapefile: '.zip',
};

/** The format the first bytes show, or undefined when they show none we read. */
async function sniffFormat(file: string): Promise<ParcelFileFormat | undefined> {
  let head: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      head = Buffer.alloc(16);
      const { bytesRead } = await handle.read(head, 0, 16, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new BadInputError(`${file} cannot be opened (${(error as Error).message})`, {
      code: 'PARCELS_FILE_UNREADABLE',
      cause: error,
    });
  }
  if (head.toString('latin1').startsWith('SQLite format 3')) return 'geopackage';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'shapefile';
  // A UTF-8 byte order mark may precede the JSON.
  if (/^\uFEFF?\s*[{[]/.test(head.toString('utf8'))) return 'geojson';
  return undefined;
}
