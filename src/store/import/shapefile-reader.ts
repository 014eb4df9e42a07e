import { mkdtemp, open as openFile, readdir, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { open as openShapefile } from 'shapefile';
import { BadInputError } from '../../core/errors';
import { type Crs, resolveCrs } from '../../core/geo/crs';
import type { CrsOrigin, FeatureReader, ReaderOptions, SourceFeature } from './feature-reader';
import { epsgOfWkt, wktName } from './wkt-crs';
import { extractZipEntries } from './zip-extract';

/**
 * A Shapefile, zipped (`fields.zip`, `fields.shp.zip`) or as a `.shp` with its siblings. The parts
 * are laid out in a temporary folder under fixed lower-case names, .prj gives the CRS (by EPSG
 * authority or a known name, else --srs is required), .cpg the DBF text encoding, and the
 * `shapefile` package streams records from disk.
 */

const PARTS = new Set(['.shp', '.shx', '.dbf', '.prj', '.cpg']);
/** What the `shapefile` package (and most DBF writers without a .cpg) assume. */
const DEFAULT_DBF_ENCODING = 'windows-1252';
/** Code page names seen in .cpg files, as TextDecoder labels. */
const CPG_LABELS: ReadonlyMap<string, string> = new Map([
  ['65001', 'utf-8'],
  ['utf8', 'utf-8'],
  ['1252', 'windows-1252'],
  ['ansi1252', 'windows-1252'],
  ['cp1252', 'windows-1252'],
  ['88591', 'iso-8859-1'],
  ['iso88591', 'iso-8859-1'],
  ['885915', 'iso-8859-15'],
  ['iso885915', 'iso-8859-15'],
]);

export async function openShapefileParcels(
  file: string,
  options: ReaderOptions = {},
): Promise<FeatureReader> {
  const name = path.basename(file);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'parcelwatch-shp-'));
  try {
    const layers = /\.shp$/i.test(file)
      ? await siblingParts(file)
      : groupParts(await extractZipEntries(file, dir, PARTS));
    const [layer, parts] = chooseLayer(name, layers, options.layer);
    const shp = parts.get('.shp');
    if (!shp) {
      throw new BadInputError(
        `${name}: Shapefile ${layer} has no .shp part; give the .shp with its .dbf and .prj`,
        {
          code: 'SHAPEFILE_INCOMPLETE',
        },
      );
    }
    // The shapefile package finds parts by lower-case extension; link each under a fixed name.
    const base = path.join(dir, 'layer');
    for (const [ext, source] of parts) await symlink(path.resolve(source), `${base}${ext}`);
    const { crs, origin } = await shapefileCrs(name, layer, parts.get('.prj'), options.srs);
    const encoding = await dbfEncoding(name, parts.get('.cpg'), options.encoding);
    const utf8 = new TextDecoder(encoding).encoding === 'utf-8';
    const encodingOrigin = options.encoding !== undefined ? '--encoding says' : 'the .cpg says';
    const dbf = parts.get('.dbf');
    const total = dbf ? await dbfRecordCount(dbf) : 0;
    const source = await openShapefile(`${base}.shp`, dbf ? `${base}.dbf` : undefined, {
      encoding,
    });
    let done = 0;
    const first = await source.read();
    const fields = first.done ? [] : Object.keys(first.value.properties ?? {});

    const readNext = async () => {
      try {
        return await source.read();
      } catch (error) {
        throw translateShapefileError(name, error);
      }
    };

    async function* features(): AsyncGenerator<SourceFeature> {
      for (let next = first; !next.done; next = await readNext()) {
        done++;
        const properties = { ...(next.value.properties ?? {}) };
        yield {
          row: done,
          featureId: undefined,
          properties,
          geometry: next.value.geometry ?? null,
          problem: utf8 ? notUtf8(properties, encodingOrigin) : undefined,
        };
      }
    }

    return {
      format: 'shapefile',
      describe: layers.size > 1 ? `${name} (layer ${layer})` : name,
      layer,
      crs,
      crsOrigin: origin,
      fields,
      featureIdName: undefined,
      features,
      progress: () => ({ done, total, unit: 'features' }),
      close: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw translateShapefileError(name, error);
  }
}

type Layers = Map<string, Map<string, string>>;

/** Parts grouped by layer (path in the archive without extension). */
function groupParts(entries: Array<{ name: string; file: string }>): Layers {
  const layers: Layers = new Map();
  for (const entry of entries) {
    const ext = path.extname(entry.name).toLowerCase();
    const layer = entry.name.slice(0, -ext.length);
    const parts = layers.get(layer) ?? new Map<string, string>();
    layers.set(layer, parts);
    parts.set(ext, entry.file);
  }
  return layers;
}

async function siblingParts(shpFile: string): Promise<Layers> {
  const dir = path.dirname(shpFile);
  const stem = path.basename(shpFile, path.extname(shpFile));
  const parts = new Map<string, string>();
  for (const entry of await readdir(dir)) {
    const ext = path.extname(entry).toLowerCase();
    if (PARTS.has(ext) && path.basename(entry, path.extname(entry)) === stem)
      parts.set(ext, path.join(dir, entry));
  }
  return new Map([[stem, parts]]);
}

function chooseLayer(
  name: string,
  layers: Layers,
  wanted: string | undefined,
): [string, Map<string, string>] {
  const shapefiles = [...layers].filter(([, parts]) => parts.has('.shp'));
  const list = shapefiles.map(([layer]) => layer).join(', ');
  if (wanted !== undefined) {
    const found = shapefiles.find(
      ([layer]) => layer === wanted || path.posix.basename(layer) === wanted,
    );
    if (!found) {
      throw new BadInputError(`${name} has no Shapefile "${wanted}"; it holds: ${list || 'none'}`, {
        code: 'SHAPEFILE_LAYER_UNKNOWN',
      });
    }
    return found;
  }
  if (shapefiles.length === 0) {
    throw new BadInputError(`${name} holds no .shp; give a zipped Shapefile (.shp, .dbf, .prj)`, {
      code: 'SHAPEFILE_MISSING',
    });
  }
  if (shapefiles.length > 1) {
    throw new BadInputError(
      `${name} holds ${shapefiles.length} Shapefiles (${list}); choose one with --layer`,
      {
        code: 'SHAPEFILE_LAYER_AMBIGUOUS',
      },
    );
  }
  return shapefiles[0];
}

async function shapefileCrs(
  name: string,
  layer: string,
  prj: string | undefined,
  srs: string | undefined,
): Promise<{ crs: Crs; origin: CrsOrigin }> {
  if (srs !== undefined) return { crs: resolveCrs(srs), origin: 'option' };
  if (!prj) {
    throw new BadInputError(
      `${name}: Shapefile ${layer} has no .prj, so its CRS is unknown; say which with --srs (e.g. --srs EPSG:28992)`,
      { code: 'CRS_UNDEFINED' },
    );
  }
  const wkt = (await readFile(prj, 'utf8')).trim();
  const epsg = epsgOfWkt(wkt);
  if (epsg === undefined) {
    throw new BadInputError(
      `${name}: the .prj of ${layer} describes "${wktName(wkt) ?? wkt.slice(0, 80)}", which parcelwatch does not recognise; say which CRS it is with --srs EPSG:<code> (\`gdalsrsinfo -e ${layer}.prj\` tells the code)`,
      { code: 'CRS_UNRECOGNISED' },
    );
  }
  return { crs: resolveCrs(`EPSG:${epsg}`), origin: 'file' };
}

async function dbfEncoding(
  name: string,
  cpg: string | undefined,
  option: string | undefined,
): Promise<string> {
  const declared = option ?? (cpg ? (await readFile(cpg, 'latin1')).trim() : undefined);
  if (declared === undefined || declared === '') return DEFAULT_DBF_ENCODING;
  const label = CPG_LABELS.get(declared.toLowerCase().replace(/[^a-z0-9]/g, '')) ?? declared;
  try {
    new TextDecoder(label);
  } catch {
    throw new BadInputError(
      `${name}: DBF encoding "${declared}"${option ? ' (--encoding)' : ' (from the .cpg)'} is not known; pass --encoding with a name such as utf-8, windows-1252 or iso-8859-1`,
      { code: 'SHAPEFILE_ENCODING_UNKNOWN' },
    );
  }
  return label;
}

/**
 * Why a record read as UTF-8 is not: the decoder turns bytes of another code page into U+FFFD,
 * which would be stored as such. Undefined when every text attribute decoded cleanly.
 */
function notUtf8(properties: Record<string, unknown>, origin: string): string | undefined {
  const field = Object.entries(properties).find(
    ([, value]) => typeof value === 'string' && value.includes('\uFFFD'),
  )?.[0];
  return field === undefined
    ? undefined
    : `attribute "${field}" is not valid UTF-8 although ${origin} UTF-8; pass the DBF's real code page with --encoding (e.g. --encoding windows-1252)`;
}

/** Record count from the DBF header (bytes 4–7, little-endian), for progress. */
async function dbfRecordCount(dbf: string): Promise<number> {
  const handle = await openFile(dbf, 'r');
  try {
    const header = Buffer.alloc(8);
    const { bytesRead } = await handle.read(header, 0, 8, 0);
    return bytesRead === 8 ? header.readUInt32LE(4) : 0;
  } finally {
    await handle.close();
  }
}

function translateShapefileError(name: string, error: unknown): unknown {
  if (error instanceof BadInputError) return error;
  return new BadInputError(
    `${name} cannot be read as a Shapefile (${(error as Error).message}); check it opens in GDAL (\`ogrinfo ${name}\`)`,
    { code: 'SHAPEFILE_INVALID', cause: error },
  );
}
