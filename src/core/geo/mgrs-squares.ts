import { BadInputError } from '../errors';
import { crsTransform } from './crs';
import { utmEpsg } from './crs-registry';
import type { BBox, Position, Ring } from './types';

/**
 * The MGRS 100 km squares Sentinel-2 tiles are named after (`33TWL`: UTM zone 33, latitude band T,
 * column W, row L), computed with proj4's UTM so square edges are exact to the millimetre.
 * Covers 80°S–84°N (MGRS's UTM part) with the Norway (32V) and Svalbard (31X–37X) zone exceptions.
 */

export const SQUARE_METRES = 100_000;
/** Row letters repeat every 20 squares (2000 km) of northing. */
const ROW_CYCLE_METRES = 2_000_000;
const BAND_LETTERS = 'CDEFGHJKLMNPQRSTUVWX';
const ROW_LETTERS = 'ABCDEFGHJKLMNPQRSTUV';
const COLUMN_SETS = ['ABCDEFGH', 'JKLMNPQR', 'STUVWXYZ'];
export const MGRS_MIN_LAT = -80;
export const MGRS_MAX_LAT = 84;
/** Points per cell or square edge when projected between UTM and lon/lat (curved edges). */
const DENSIFY_SEGMENTS = 16;

/** A grid zone cell: one UTM zone within one latitude band, in degrees. */
export interface GridZoneCell {
  zone: number;
  band: string;
  bbox: BBox;
}

/** A 100 km square: id, zone, hemisphere and UTM south-west corner. */
export interface MgrsSquare {
  id: string;
  zone: number;
  band: string;
  south: boolean;
  epsg: number;
  /** UTM easting of the square's west edge. */
  west: number;
  /** UTM northing of the square's south edge (southern hemisphere: with the 10 000 km false northing). */
  southEdge: number;
}

/** UTM zone of a point with MGRS's Norway and Svalbard exceptions. */
export function utmZoneOf(lon: number, lat: number): number {
  if (lat >= 56 && lat < 64 && lon >= 3 && lon < 12) return 32;
  if (lat >= 72 && lon >= 0 && lon < 42) {
    if (lon < 9) return 31;
    if (lon < 21) return 33;
    if (lon < 33) return 35;
    return 37;
  }
  return lon >= 180 ? 60 : Math.floor((lon + 180) / 6) + 1;
}

/** MGRS latitude band letter (C–X; X spans 72–84°N). */
export function latitudeBand(lat: number): string {
  if (!(lat >= MGRS_MIN_LAT && lat <= MGRS_MAX_LAT)) {
    throw new BadInputError(
      `latitude ${lat} is outside Sentinel-2's MGRS tiling (80°S to 84°N); polar parcels are not supported`,
      { code: 'MGRS_OUT_OF_RANGE' },
    );
  }
  return BAND_LETTERS[Math.min(Math.floor((lat - MGRS_MIN_LAT) / 8), BAND_LETTERS.length - 1)];
}

/** Latitude range of a band: [south, north]. */
export function bandLatitudes(band: string): [number, number] {
  const i = BAND_LETTERS.indexOf(band);
  const south = MGRS_MIN_LAT + 8 * i;
  return [south, band === 'X' ? MGRS_MAX_LAT : south + 8];
}

/** Bands lettered N and after lie north of the equator. */
export function isSouthernBand(band: string): boolean {
  return band < 'N';
}

/** The grid zone cell (zone, band) in degrees, or undefined for the cells MGRS removed (32X, 34X, 36X). */
export function gridZoneCell(zone: number, band: string): GridZoneCell | undefined {
  const [south, north] = bandLatitudes(band);
  let west = -180 + 6 * (zone - 1);
  let east = west + 6;
  if (band === 'V' && zone === 31) east = 3;
  if (band === 'V' && zone === 32) west = 3;
  if (band === 'X' && zone >= 31 && zone <= 37) {
    const svalbard: Record<number, [number, number]> = {
      31: [0, 9],
      33: [9, 21],
      35: [21, 33],
      37: [33, 42],
    };
    if (!svalbard[zone]) return undefined;
    [west, east] = svalbard[zone];
  }
  return { zone, band, bbox: [west, south, east, north] };
}

/** Central meridian of a UTM zone, in degrees. */
export function centralMeridian(zone: number): number {
  return -183 + 6 * zone;
}

/** The MGRS id of the square holding UTM (easting, northing) of `zone`, labelled with `band`. */
export function squareIdAt(zone: number, band: string, easting: number, northing: number): string {
  const column = COLUMN_SETS[(zone - 1) % 3][Math.floor(easting / SQUARE_METRES) - 1];
  const rowIndex = (Math.floor(northing / SQUARE_METRES) + (zone % 2 === 0 ? 5 : 0)) % 20;
  const row = ROW_LETTERS[(rowIndex + 20) % 20];
  if (column === undefined) {
    throw new BadInputError(
      `easting ${easting} in UTM zone ${zone} is outside MGRS columns (100–900 km)`,
      { code: 'MGRS_OUT_OF_RANGE' },
    );
  }
  return `${String(zone).padStart(2, '0')}${band}${column}${row}`;
}

/** The MGRS square (and tile) id of a lon/lat point, e.g. `33TWL`. */
export function squareIdOfPoint(lon: number, lat: number): string {
  const band = latitudeBand(lat);
  const zone = utmZoneOf(lon, lat);
  const [easting, northing] = crsTransform(4326, utmEpsg(zone, isSouthernBand(band)))(lon, lat);
  return squareIdAt(zone, band, easting, northing);
}

const TILE_ID = /^(\d{1,2})([C-HJ-NP-X])([A-HJ-NP-Z])([A-HJ-NP-V])$/;
const squares = new Map<string, MgrsSquare>();

/** Decodes a 100 km square id (`33TWL`, `T33TWL`, `MGRS-33TWL` or `4QFJ`) to its zone and UTM corner. */
export function parseSquareId(input: string): MgrsSquare {
  const key = input
    .trim()
    .toUpperCase()
    .replace(/^(MGRS-|T)(?=\d)/, '');
  const cached = squares.get(key);
  if (cached) return cached;
  const match = TILE_ID.exec(key);
  const zone = match ? Number(match[1]) : 0;
  const cell = match && zone >= 1 && zone <= 60 ? gridZoneCell(zone, match[2]) : undefined;
  const columnIndex = match ? COLUMN_SETS[(zone - 1) % 3].indexOf(match[3]) : -1;
  if (!match || !cell || columnIndex < 0) {
    throw new BadInputError(
      `"${input}" is not a Sentinel-2 / MGRS tile id; expected zone, band, column and row letters like 33TWL`,
      { code: 'TILE_ID_INVALID' },
    );
  }
  const band = match[2];
  const south = isSouthernBand(band);
  const offset = zone % 2 === 0 ? 5 : 0;
  const rowNorthing = ((ROW_LETTERS.indexOf(match[4]) - offset + 20) % 20) * SQUARE_METRES;
  const [minN, maxN] = northingRange(cell, south);
  // The row letter fixes the northing modulo 2000 km; the band (about 900 km tall) picks the cycle.
  const k = Math.floor((minN - SQUARE_METRES - rowNorthing) / ROW_CYCLE_METRES) + 1;
  const southEdge = rowNorthing + k * ROW_CYCLE_METRES;
  if (southEdge >= maxN) {
    throw new BadInputError(
      `tile "${input}" does not exist: row ${match[4]} never falls in latitude band ${band} of zone ${zone}`,
      { code: 'TILE_ID_INVALID' },
    );
  }
  const square: MgrsSquare = {
    id: `${String(zone).padStart(2, '0')}${band}${match[3]}${match[4]}`,
    zone,
    band,
    south,
    epsg: utmEpsg(zone, south),
    west: (columnIndex + 1) * SQUARE_METRES,
    southEdge,
  };
  squares.set(key, square);
  return square;
}

/** Min and max UTM northing over a cell's boundary. */
function northingRange(cell: GridZoneCell, south: boolean): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const [, y] of cellBoundaryUtm(cell, south)) {
    if (y < min) min = y;
    if (y > max) max = y;
  }
  return [min, max];
}

/** The cell's boundary (densified, including the central meridian's crossing) in its zone's UTM. */
export function cellBoundaryUtm(cell: GridZoneCell, south: boolean): Position[] {
  const toUtm = crsTransform(4326, utmEpsg(cell.zone, south));
  const [west, s, east, n] = cell.bbox;
  const cm = centralMeridian(cell.zone);
  const out: Position[] = [];
  for (let i = 0; i <= DENSIFY_SEGMENTS; i++) {
    const lon = west + ((east - west) * i) / DENSIFY_SEGMENTS;
    out.push(toUtm(lon, s), toUtm(lon, n));
    const lat = s + ((n - s) * i) / DENSIFY_SEGMENTS;
    out.push(toUtm(west, lat), toUtm(east, lat));
  }
  if (cm > west && cm < east) out.push(toUtm(cm, s), toUtm(cm, n));
  return out;
}

/** A UTM rectangle's boundary as a closed lon/lat ring, densified, longitudes unwrapped near `zone`. */
export function utmRectToLonLat(zone: number, south: boolean, rect: BBox): Ring {
  const toLonLat = crsTransform(utmEpsg(zone, south), 4326);
  const [minX, minY, maxX, maxY] = rect;
  const corners: Position[] = [
    [minX, minY],
    [maxX, minY],
    [maxX, maxY],
    [minX, maxY],
  ];
  const cm = centralMeridian(zone);
  const ring: Ring = [];
  for (let c = 0; c < 4; c++) {
    const [x0, y0] = corners[c];
    const [x1, y1] = corners[(c + 1) % 4];
    for (let i = 0; i < DENSIFY_SEGMENTS; i++) {
      const t = i / DENSIFY_SEGMENTS;
      const [lon, lat] = toLonLat(x0 + t * (x1 - x0), y0 + t * (y1 - y0));
      ring.push([unwrapLongitude(lon, cm), lat]);
    }
  }
  ring.push(ring[0]);
  return ring;
}

/** The longitude equal to `lon` modulo 360 that lies nearest `reference`. */
export function unwrapLongitude(lon: number, reference: number): number {
  return lon + 360 * Math.round((reference - lon) / 360);
}
