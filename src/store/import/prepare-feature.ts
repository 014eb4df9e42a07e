import { type Crs, reprojectGeometry } from '../../core/geo/crs';
import { geometryBBox, validateGeometry } from '../../core/geo/geometry';
import { primaryTile } from '../../core/geo/primary-tile';
import type { ParcelGeometry } from '../../core/geo/types';
import type { SourceFeature } from './feature-reader';
import { type FieldMapping, mapAttributes } from './field-mapping';
import type { RowProblem } from './problems';

/**
 * One feature made ready for staging, or the reason it cannot be: an id, a closed Polygon or
 * MultiPolygon whose coordinates fit the declared CRS, reprojected to WGS 84, of a parcel's
 * extent, inside the Sentinel-2 tiling (its primary tile). Validity (self-intersections) and
 * area are PostGIS's to judge, on the staged rows.
 */

/** A parcel spanning more than this in longitude or latitude is not a field (≈ 111 km north–south). */
export const MAX_PARCEL_EXTENT_DEGREES = 1;

/**
 * Field boundaries digitised at centimetre precision stay in the thousands of vertices; a polygon
 * beyond this is a generated or broken shape that would slow every run that rasterises it.
 */
export const MAX_PARCEL_VERTICES = 100_000;

/** A row as the staging table takes it. */
export interface StagedParcel {
  row: number;
  externalId: string;
  name: string | null;
  crop: string | null;
  ownerTeam: string | null;
  /** WGS 84 geometry as GeoJSON text. */
  geojson: string;
  tile: string;
  /** JSON text of the other attributes. */
  attributes: string;
  /** The data subject's name, from the personal name fields (see personal-fields.ts). */
  holderName: string | null;
  /** JSON text of the personal fields (`{}` when this row has none); null when the file has none. */
  personal: string | null;
}

export type Prepared = { parcel: StagedParcel } | { problem: RowProblem };

export function prepareFeature(feature: SourceFeature, mapping: FieldMapping, crs: Crs): Prepared {
  const mapped = mapAttributes(feature, mapping);
  const externalId = mapped.externalId;
  const reject = (reason: string): Prepared => ({
    problem: { row: feature.row, externalId, reason },
  });
  if (feature.problem !== undefined) return reject(feature.problem);
  if (externalId === undefined) {
    return reject(
      mapping.id.kind === 'field'
        ? `has no value in the id attribute "${mapping.id.field}"; give every parcel an id or choose another --id-field`
        : 'has no feature id; choose an id attribute with --id-field',
    );
  }
  if (feature.geometry === null || feature.geometry === undefined) {
    return reject('has no geometry');
  }
  const vertices = vertexCount(feature.geometry);
  if (vertices > MAX_PARCEL_VERTICES) {
    return reject(
      `has ${vertices.toLocaleString('en')} vertices, more than the ${MAX_PARCEL_VERTICES.toLocaleString('en')} a parcel may have; simplify it (e.g. \`ogr2ogr -simplify 0.5\`) or check how it was made`,
    );
  }
  const structural = validateGeometry(feature.geometry, { geographic: crs.geographic });
  if (structural.length > 0) {
    const hint = structural.some((p) => p.reason === 'out-of-range')
      ? ` (read as ${crs.id}; pass --srs if the file is in another CRS)`
      : '';
    return reject(`${structural.map((p) => p.message).join('; ')}${hint}`);
  }
  const geometry = reprojectGeometry(feature.geometry as ParcelGeometry, crs, 4326);
  if (validateGeometry(geometry, { geographic: true }).length > 0) {
    return reject(
      `coordinates do not transform from ${crs.id} to WGS 84 lon/lat; check the CRS (--srs)`,
    );
  }
  const [minLon, minLat, maxLon, maxLat] = geometryBBox(geometry);
  if (maxLon - minLon > MAX_PARCEL_EXTENT_DEGREES || maxLat - minLat > MAX_PARCEL_EXTENT_DEGREES) {
    return reject(
      `is absurdly large for a parcel: it spans ${round(maxLon - minLon)}° × ${round(maxLat - minLat)}° (limit ${MAX_PARCEL_EXTENT_DEGREES}°); check the geometry and its CRS`,
    );
  }
  let tile: string;
  try {
    tile = primaryTile(geometry).tile;
  } catch (error) {
    return reject(`is outside Sentinel-2 coverage: ${(error as Error).message}`);
  }
  return {
    parcel: {
      row: feature.row,
      externalId,
      name: mapped.name,
      crop: mapped.crop,
      ownerTeam: mapped.ownerTeam,
      geojson: JSON.stringify(geometry),
      tile,
      attributes: JSON.stringify(mapped.attributes),
      holderName: mapped.personal?.holderName ?? null,
      personal: mapped.personal ? JSON.stringify(mapped.personal.fields) : null,
    },
  };
}

function round(degrees: number): string {
  return degrees.toFixed(2);
}

/** Positions of a Polygon or MultiPolygon (0 for anything else; validation names the problem). */
function vertexCount(geometry: unknown): number {
  const { type, coordinates } = geometry as { type?: unknown; coordinates?: unknown };
  if (!Array.isArray(coordinates)) return 0;
  const polygons = type === 'MultiPolygon' ? coordinates : type === 'Polygon' ? [coordinates] : [];
  let count = 0;
  for (const polygon of polygons) {
    if (!Array.isArray(polygon)) continue;
    for (const ring of polygon) if (Array.isArray(ring)) count += ring.length;
  }
  return count;
}
