import { CRS_DEFINITIONS } from '../../core/geo/crs-registry';

/**
 * The EPSG code of a CRS described in WKT (a Shapefile's .prj, a GeoPackage's definition): its
 * top-level `AUTHORITY["EPSG", n]` / `ID["EPSG", n]` when present, else its name looked up among
 * the names parcelwatch knows (the CRS registry's, plus the ESRI spellings .prj files use).
 * Undefined when neither says; the caller then asks for --srs.
 */
export function epsgOfWkt(wkt: string): number | undefined {
  return topLevelAuthority(wkt) ?? epsgOfCrsName(wktName(wkt) ?? '');
}

/** The name of the outermost WKT element (`PROJCS["RD_New", …` → `RD_New`). */
export function wktName(wkt: string): string | undefined {
  return /^\s*[A-Z]+\s*\[\s*"([^"]*)"/i.exec(wkt)?.[1];
}

/**
 * The names ESRI software (and GDAL's .prj writer) gives the registry's systems, from
 * `gdalsrsinfo -o wkt_esri EPSG:n`, normalised (lower case, letters and digits only).
 */
const ESRI_NAMES: ReadonlyMap<string, number> = new Map([
  ['gcswgs1984', 4326],
  ['gcsetrs1989', 4258],
  ['gcsnorthamerican1983', 4269],
  ['wgs1984webmercatorauxiliarysphere', 3857],
  ['wgs1984worldmercator', 3395],
  ['etrs1989laea', 3035],
  ['rdnew', 28992],
  ['belgelambert1972', 31370],
  ['rgf1993lambert93', 2154],
  ['britishnationalgrid', 27700],
  ['irenet95irishtransversemercator', 2157],
  ['ch1903lv95', 2056],
  ['etrs1989austrialambert', 3416],
  ['mgiaustrialambert', 31287],
  ['etrs1989polandcs92', 2180],
  ['hungarian1972egysegesorszagosvetuleti', 23700],
  ['pulkovo1942adj58stereo70', 3844],
  ['slovenia1996slovenenationalgrid', 3794],
  ['htrs96croatiatm', 3765],
  ['etrs1989portugaltm06', 3763],
  ['greekgrid', 2100],
  ['sweref99tm', 3006],
  ['eureffintm35fin', 3067],
  ['lks1994lithuaniatm', 3346],
  ['lks1992latviatm', 3059],
  ['estonia1997estonianationalgrid', 3301],
  ['nad1983contiguoususaalbers', 5070],
  ['gda1994australiaalbers', 3577],
  ['nzgd2000newzealandtransversemercator', 2193],
]);

/** Normalised registry names (`Amersfoort / RD New` → `amersfoortrdnew`). */
let registryNames: Map<string, number> | undefined;

function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The EPSG code of a CRS name, or undefined. */
export function epsgOfCrsName(name: string): number | undefined {
  const key = normalise(name);
  if (key === '') return undefined;
  registryNames ??= new Map([...CRS_DEFINITIONS.values()].map((d) => [normalise(d.name), d.epsg]));
  const known = registryNames.get(key) ?? ESRI_NAMES.get(key);
  if (known !== undefined) return known;
  const wgsUtm = /^wgs(?:19)?84utmzone(\d{1,2})([ns])$/.exec(key);
  if (wgsUtm) return (wgsUtm[2] === 'n' ? 32600 : 32700) + Number(wgsUtm[1]);
  const etrsUtm = /^etrs(?:19)?89utmzone(\d{1,2})n$/.exec(key);
  if (etrsUtm) return 25800 + Number(etrsUtm[1]);
  return undefined;
}

/** `AUTHORITY["EPSG","n"]` or `ID["EPSG",n]` directly inside the outermost element. */
function topLevelAuthority(wkt: string): number | undefined {
  const pattern = /(AUTHORITY|ID)\s*\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]/gi;
  let found: number | undefined;
  for (let match = pattern.exec(wkt); match; match = pattern.exec(wkt)) {
    if (depthAt(wkt, match.index) === 1) found = Number(match[2]);
  }
  return found;
}

/** Bracket depth at `index`, ignoring brackets inside quoted strings. */
function depthAt(wkt: string, index: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < index; i++) {
    const c = wkt[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '[' || c === '(')) depth++;
    else if (!quoted && (c === ']' || c === ')')) depth--;
  }
  return depth;
}
