import type { Crs } from '../../core/geo/crs';

/**
 * What every parcel file reader (GeoJSON, GeoPackage, zipped Shapefile) offers the importer: the
 * features one by one, each with its 1-based row number, and what the file says about itself.
 */

/** One feature as the file holds it: properties and geometry untouched, in the file's CRS. */
export interface SourceFeature {
  /** 1-based position in the file (GeoPackage: in primary-key order), for messages. */
  row: number;
  /** The file's own feature id (GeoJSON `id` member, GeoPackage primary key), when it has one. */
  featureId: string | undefined;
  properties: Record<string, unknown>;
  /** GeoJSON-shaped geometry object, or null when the feature has none. */
  geometry: unknown;
  /** Why the reader could not make a feature of this row (the importer rejects it with this). */
  problem?: string;
}

export type ParcelFileFormat = 'geojson' | 'geopackage' | 'shapefile';

/** Where the coordinate reference system of the features came from. */
export type CrsOrigin = 'file' | 'option' | 'default';

/** How far a reader got: `done` of `total` in `unit` (total unknown: 0). */
export interface ReadProgress {
  done: number;
  total: number;
  unit: 'bytes' | 'features';
}

export interface FeatureReader {
  format: ParcelFileFormat;
  /** The file, and layer when it has several, for messages: `fields.gpkg (layer brp_gewas)`. */
  describe: string;
  /** Layer (GeoPackage table, Shapefile name) read, when the format has layers. */
  layer: string | undefined;
  crs: Crs;
  crsOrigin: CrsOrigin;
  /** Property names of the features (GeoJSON: those of the first feature). */
  fields: string[];
  /** What the feature id is called in the file (`id` column of a GeoPackage), when it has one. */
  featureIdName: string | undefined;
  /** Features in file order; iterate once. */
  features(): AsyncIterable<SourceFeature>;
  progress(): ReadProgress;
  /** Releases the file (and temporary files); safe to call twice. */
  close(): Promise<void>;
}

export interface ReaderOptions {
  /** CRS of the coordinates, overriding what the file says (`--srs`). */
  srs?: string;
  /** Layer to read when the file holds several (`--layer`). */
  layer?: string;
  /** Text encoding of a Shapefile's DBF, overriding its .cpg (`--encoding`). */
  encoding?: string;
}
