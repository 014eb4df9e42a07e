import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import initSqlJs, { type Database as SqliteDatabase, type SqlValue } from 'sql.js';
import { BadInputError } from '../../core/errors';
import { type Crs, resolveCrs } from '../../core/geo/crs';
import { decodeGeoPackageGeometry } from '../../core/geo/wkb';
import type { CrsOrigin, FeatureReader, ReaderOptions, SourceFeature } from './feature-reader';
import { epsgOfWkt, wktName } from './wkt-crs';

/**
 * A GeoPackage's feature table read through sql.js (SQLite compiled to WebAssembly). sql.js holds
 * the whole file in memory, so GeoPackages are limited in size; rows are then stepped through one
 * statement, in primary-key order, one feature at a time.
 */

/** Largest GeoPackage read: sql.js copies the file into its WebAssembly heap (about twice this at peak). */
export const MAX_GEOPACKAGE_BYTES = 1024 ** 3;

let sqlJs: ReturnType<typeof initSqlJs> | undefined;

interface Layer {
  table: string;
  geometryColumn: string;
  srsId: number;
}

export async function openGeoPackage(
  file: string,
  options: ReaderOptions = {},
): Promise<FeatureReader> {
  const name = path.basename(file);
  const size = (await stat(file)).size;
  if (size > MAX_GEOPACKAGE_BYTES) {
    throw new BadInputError(
      `${name} is ${(size / 1024 ** 3).toFixed(1)} GiB; GeoPackages are read whole into memory and the limit is ${MAX_GEOPACKAGE_BYTES / 1024 ** 3} GiB — convert it first, e.g. \`ogr2ogr -f GeoJSON parcels.geojson ${name}\`, and import the GeoJSON (streamed)`,
      { code: 'GPKG_TOO_LARGE' },
    );
  }
  sqlJs ??= initSqlJs();
  const SQL = await sqlJs;
  let db: SqliteDatabase;
  const bytes = await readFile(file);
  try {
    db = new SQL.Database(bytes);
    db.exec('SELECT count(*) FROM sqlite_master');
  } catch (error) {
    // An SQLite header that SQLite then cannot read: a file cut short or damaged in transfer.
    const damaged = bytes.subarray(0, 16).toString('latin1').startsWith('SQLite format 3');
    throw new BadInputError(
      damaged
        ? `${name} is a damaged or truncated GeoPackage (SQLite says: ${(error as Error).message}); copy it again, or check it with \`ogrinfo ${name}\``
        : `${name} is not a GeoPackage (SQLite says: ${(error as Error).message})`,
      { code: damaged ? 'GPKG_DAMAGED' : 'GPKG_INVALID', cause: error },
    );
  }
  try {
    const layer = chooseLayer(db, name, options.layer);
    const quotedTable = quote(layer.table);
    const columns = rows(db, `PRAGMA table_info(${quotedTable})`) as Array<
      [number, string, string, number, unknown, number]
    >;
    const pk = columns.find(([, , type, , , isPk]) => isPk === 1 && /^INT/i.test(type))?.[1];
    const fields = columns
      .map(([, column]) => column)
      .filter((column) => column !== pk && column !== layer.geometryColumn);
    const { crs, origin } = layerCrs(db, name, layer, options.srs);
    const total = Number(rows(db, `SELECT count(*) FROM ${quotedTable}`)[0]?.[0] ?? 0);
    let done = 0;
    const describe = `${name} (layer ${layer.table})`;

    async function* features(): AsyncGenerator<SourceFeature> {
      const key = pk === undefined ? 'rowid' : quote(pk);
      const statement = db.prepare(
        `SELECT ${key}, ${quote(layer.geometryColumn)}${fields.map((f) => `, ${quote(f)}`).join('')}
           FROM ${quotedTable} ORDER BY ${key}`,
      );
      try {
        while (statement.step()) {
          const values = statement.get();
          done++;
          yield toFeature(done, values, fields, pk !== undefined);
        }
      } finally {
        statement.free();
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

function chooseLayer(db: SqliteDatabase, name: string, wanted: string | undefined): Layer {
  let layers: Layer[];
  try {
    layers = (
      rows(
        db,
        `SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
           JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
          WHERE c.data_type = 'features' ORDER BY c.table_name`,
      ) as Array<[string, string, number]>
    ).map(([table, geometryColumn, srsId]) => ({ table, geometryColumn, srsId }));
  } catch (error) {
    throw new BadInputError(
      `${name} is an SQLite file but not a GeoPackage (no gpkg_contents / gpkg_geometry_columns)`,
      {
        code: 'GPKG_INVALID',
        cause: error,
      },
    );
  }
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
  db: SqliteDatabase,
  name: string,
  layer: Layer,
  srs: string | undefined,
): { crs: Crs; origin: CrsOrigin } {
  if (srs !== undefined) return { crs: resolveCrs(srs), origin: 'option' };
  const [row] = rows(
    db,
    'SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?',
    [layer.srsId],
  ) as Array<[string, number, string]>;
  if (row && row[0].toUpperCase() === 'EPSG' && row[1] > 0) {
    return { crs: resolveCrs(`EPSG:${row[1]}`), origin: 'file' };
  }
  const epsg = row ? epsgOfWkt(row[2] ?? '') : undefined;
  if (epsg !== undefined) return { crs: resolveCrs(`EPSG:${epsg}`), origin: 'file' };
  const described = row ? ` ("${wktName(row[2] ?? '') ?? row[2]}")` : '';
  throw new BadInputError(
    `${name}: layer ${layer.table} has SRS ${layer.srsId}${described}, which parcelwatch cannot identify; say which CRS the coordinates are in with --srs (e.g. --srs EPSG:28992 or a proj4 string)`,
    { code: 'CRS_UNDEFINED' },
  );
}

function toFeature(
  row: number,
  values: SqlValue[],
  fields: string[],
  hasPk: boolean,
): SourceFeature {
  const properties: Record<string, unknown> = {};
  fields.forEach((field, i) => {
    const value = values[i + 2];
    // Blobs are not attributes a person reads; JSON could not hold them anyway.
    if (!(value instanceof Uint8Array)) properties[field] = value;
  });
  const feature: SourceFeature = {
    row,
    featureId: hasPk ? String(values[0]) : undefined,
    properties,
    geometry: null,
  };
  const blob = values[1];
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

function rows(db: SqliteDatabase, sql: string, params: SqlValue[] = []): SqlValue[][] {
  return db.exec(sql, params)[0]?.values ?? [];
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
