import path from 'node:path';
import { BadInputError } from '../../core/errors';
import { type Crs, resolveCrs } from '../../core/geo/crs';
import { decodeGeoPackageGeometry } from '../../core/geo/wkb';
import type { CrsOrigin, FeatureReader, ReaderOptions, SourceFeature } from './feature-reader';
import { SqliteFile, SqliteFileError, type SqliteValue } from './sqlite-file';
import { findTable, readSmallTable, type SqliteTable, tableRows } from './sqlite-table';
import { epsgOfWkt, wktName } from './wkt-crs';

/**
 * A GeoPackage's feature table read through our own SQLite file reader, page by page, so memory
 * stays flat whatever the file size; rows come in rowid order (the primary-key order of a GeoPackage
 * feature table, whose key is an INTEGER PRIMARY KEY), one feature at a time.
 */

interface Layer {
  table: string;
  geometryColumn: string;
  srsId: SqliteValue;
}

export async function openGeoPackage(
  file: string,
  options: ReaderOptions = {},
): Promise<FeatureReader> {
  const name = path.basename(file);
  let db: SqliteFile;
  try {
    db = SqliteFile.open(file);
    db.schema();
  } catch (error) {
    throw openError(name, error);
  }
  try {
    const layer = chooseLayer(db, name, options.layer);
    const table = readTable(db, name, layer.table);
    if (!table)
      throw damagedError(name, `its gpkg_contents names table ${layer.table}, which it lacks`);
    const columns = table.columns;
    const pkIndex = columns.findIndex((c) => c.pk === 1 && /^INT/i.test(c.type));
    const pk = pkIndex < 0 ? undefined : columns[pkIndex].name;
    const geometryIndex = columns.findIndex((c) => c.name === layer.geometryColumn);
    const fieldIndexes = columns
      .map((_, i) => i)
      .filter((i) => i !== pkIndex && columns[i].name !== layer.geometryColumn);
    const fields = fieldIndexes.map((i) => columns[i].name);
    const { crs, origin } = layerCrs(db, name, layer, options.srs);
    const total = guard(name, () => db.countRows(table.rootPage));
    let done = 0;
    const describe = `${name} (layer ${layer.table})`;

    async function* features(): AsyncGenerator<SourceFeature> {
      const rows = tableRows(db, table as SqliteTable);
      for (;;) {
        let next: IteratorResult<{ rowid: number; values: SqliteValue[] }>;
        try {
          next = rows.next();
        } catch (error) {
          throw damagedError(
            name,
            `layer ${layer.table}, after row ${done}: ${(error as Error).message}`,
            error,
          );
        }
        if (next.done) return;
        const { values } = next.value;
        done++;
        yield toFeature(
          done,
          pkIndex < 0 ? undefined : values[pkIndex],
          geometryIndex < 0 ? null : values[geometryIndex],
          fieldIndexes.map((i) => values[i]),
          fields,
        );
      }
    }

    return {
      format: 'geopackage',
      describe,
      layer: layer.table,
      crs,
      crsOrigin: origin,
      fields,
      featureIdName: pk,
      features,
      progress: () => ({ done, total, unit: 'features' }),
      close: async () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Why the file could not be opened, worded for a GeoPackage. */
function openError(name: string, error: unknown): BadInputError {
  if (!(error instanceof SqliteFileError)) {
    return new BadInputError(`${name} cannot be read (${(error as Error).message})`, {
      code: 'GPKG_INVALID',
      cause: error,
    });
  }
  switch (error.problem) {
    case 'not-sqlite':
      return new BadInputError(`${name} is not a GeoPackage (${error.message})`, {
        code: 'GPKG_INVALID',
        cause: error,
      });
    case 'damaged':
      return damagedError(name, error.message, error);
    case 'unsupported':
      return new BadInputError(
        `${name} cannot be read: ${error.message}; convert it, e.g. \`ogr2ogr -f GPKG converted.gpkg ${name}\``,
        { code: 'GPKG_INVALID', cause: error },
      );
    case 'journal':
      return new BadInputError(
        `${name} cannot be read as it is: ${error.message}; open it once with SQLite or GDAL to finish the write (e.g. \`ogrinfo ${name}\`, or \`sqlite3 ${name} 'PRAGMA wal_checkpoint(TRUNCATE)'\`), or convert it with \`ogr2ogr -f GPKG copy.gpkg ${name}\` and import the copy`,
        { code: 'GPKG_INVALID', cause: error },
      );
  }
}

function damagedError(name: string, detail: string, cause?: unknown): BadInputError {
  return new BadInputError(
    `${name} is a damaged or truncated GeoPackage (${detail}); copy it again, or check it with \`ogrinfo ${name}\``,
    { code: 'GPKG_DAMAGED', cause },
  );
}

/** Runs a read of the file's metadata, naming a damaged file as such. */
function guard<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    if (error instanceof SqliteFileError) throw openError(name, error);
    throw new BadInputError(`${name} cannot be read (${(error as Error).message})`, {
      code: 'GPKG_INVALID',
      cause: error,
    });
  }
}

function readTable(db: SqliteFile, name: string, table: string): SqliteTable | undefined {
  return guard(name, () => findTable(db, table));
}

function metadata(db: SqliteFile, name: string, table: string): Array<Record<string, SqliteValue>> {
  const found = readTable(db, name, table);
  if (!found) {
    throw new BadInputError(
      `${name} is an SQLite file but not a GeoPackage (no gpkg_contents / gpkg_geometry_columns)`,
      { code: 'GPKG_INVALID' },
    );
  }
  return guard(name, () => readSmallTable(db, found));
}

function chooseLayer(db: SqliteFile, name: string, wanted: string | undefined): Layer {
  const contents = metadata(db, name, 'gpkg_contents');
  const geometryColumns = metadata(db, name, 'gpkg_geometry_columns');
  // gpkg_contents JOIN gpkg_geometry_columns USING (table_name) WHERE data_type = 'features'.
  const layers: Layer[] = contents
    .filter((c) => c.data_type === 'features')
    .flatMap((c) =>
      geometryColumns
        .filter((g) => g.table_name === c.table_name)
        .map((g) => ({
          table: String(c.table_name),
          geometryColumn: String(g.column_name),
          srsId: g.srs_id,
        })),
    )
    // ORDER BY table_name: SQLite's BINARY collation compares UTF-8 bytes.
    .sort((a, b) => Buffer.compare(Buffer.from(a.table), Buffer.from(b.table)));
  if (layers.length === 0) {
    throw new BadInputError(`${name} holds no feature table; nothing to import`, {
      code: 'GPKG_NO_LAYER',
    });
  }
  const list = layers.map((l) => l.table).join(', ');
  if (wanted !== undefined) {
    const layer = layers.find((l) => l.table === wanted);
    if (!layer) {
      throw new BadInputError(`${name} has no feature table "${wanted}"; its tables: ${list}`, {
        code: 'GPKG_LAYER_UNKNOWN',
      });
    }
    return layer;
  }
  if (layers.length > 1) {
    throw new BadInputError(
      `${name} holds ${layers.length} feature tables (${list}); choose one with --layer`,
      {
        code: 'GPKG_LAYER_AMBIGUOUS',
      },
    );
  }
  return layers[0];
}

function layerCrs(
  db: SqliteFile,
  name: string,
  layer: Layer,
  srs: string | undefined,
): { crs: Crs; origin: CrsOrigin } {
  if (srs !== undefined) return { crs: resolveCrs(srs), origin: 'option' };
  const row = metadata(db, name, 'gpkg_spatial_ref_sys').find(
    (r) => r.srs_id === layer.srsId && r.srs_id !== null,
  );
  const organization = typeof row?.organization === 'string' ? row.organization : '';
  const code = row?.organization_coordsys_id;
  if (organization.toUpperCase() === 'EPSG' && typeof code === 'number' && code > 0) {
    return { crs: resolveCrs(`EPSG:${code}`), origin: 'file' };
  }
  const definition = typeof row?.definition === 'string' ? row.definition : '';
  const epsg = row ? epsgOfWkt(definition) : undefined;
  if (epsg !== undefined) return { crs: resolveCrs(`EPSG:${epsg}`), origin: 'file' };
  const described = row ? ` ("${wktName(definition) ?? definition}")` : '';
  throw new BadInputError(
    `${name}: layer ${layer.table} has SRS ${layer.srsId}${described}, which parcelwatch cannot identify; say which CRS the coordinates are in with --srs (e.g. --srs EPSG:28992 or a proj4 string)`,
    { code: 'CRS_UNDEFINED' },
  );
}

function toFeature(
  row: number,
  key: SqliteValue | undefined,
  blob: SqliteValue,
  values: SqliteValue[],
  fields: string[],
): SourceFeature {
  const properties: Record<string, unknown> = {};
  fields.forEach((field, i) => {
    const value = values[i];
    // Blobs are not attributes a person reads; JSON could not hold them anyway.
    if (!(value instanceof Uint8Array)) properties[field] = value;
  });
  const feature: SourceFeature = {
    row,
    featureId: key === undefined ? undefined : String(key),
    properties,
    geometry: null,
  };
  if (blob === null) return feature;
  if (!(blob instanceof Uint8Array)) {
    return {
      ...feature,
      problem: 'geometry column holds a non-binary value, not a GeoPackage geometry',
    };
  }
  try {
    // An empty geometry decodes to an empty polygon (no ring), which the importer names as such.
    return { ...feature, geometry: decodeGeoPackageGeometry(blob).geometry };
  } catch (error) {
    return { ...feature, problem: `geometry cannot be decoded (${(error as Error).message})` };
  }
}
