/**
 * proj4 definitions of the coordinate reference systems parcelwatch knows by EPSG code.
 *
 * Projections come from PROJ's database (`gdalsrsinfo -o proj4 EPSG:n`). Where GDAL's export drops
 * the datum shift (PROJ prefers a grid it may not have), `+towgs84` holds the Helmert parameters of
 * the transformation PROJ picks without grids, converted to proj4's position-vector sign convention
 * (rotations negated from EPSG's coordinate-frame form). test/core/geo/crs.test.ts checks every
 * entry against gdaltransform.
 */

const WGS84_UTM_NORTH_BASE = 32600;
const WGS84_UTM_SOUTH_BASE = 32700;
const ETRS89_UTM_BASE = 25800;
/** ETRS89 / UTM is defined for zones 28N–38N (EPSG 25828–25838), Europe only. */
const ETRS89_UTM_ZONES: readonly [number, number] = [28, 38];
const SIRGAS2000_UTM_NORTH: readonly [number, number, number] = [31965, 11, 22];
const SIRGAS2000_UTM_SOUTH: readonly [number, number, number] = [31977, 17, 25];

/** Named definitions; UTM families are generated below. */
const NAMED: ReadonlyArray<readonly [number, string, string]> = [
  [4326, 'WGS 84', '+proj=longlat +datum=WGS84 +no_defs'],
  [4258, 'ETRS89', '+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs'],
  [4269, 'NAD83', '+proj=longlat +datum=NAD83 +no_defs'],
  [
    3857,
    'WGS 84 / Pseudo-Mercator',
    '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs',
  ],
  [
    3395,
    'WGS 84 / World Mercator',
    '+proj=merc +lon_0=0 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs',
  ],
  [
    3035,
    'ETRS89-extended / LAEA Europe',
    '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    28992,
    'Amersfoort / RD New',
    // Amersfoort to WGS 84 (4), the transformation PROJ uses for the Netherlands without grids.
    '+proj=sterea +lat_0=52.1561605555556 +lon_0=5.38763888888889 +k=0.9999079 +x_0=155000 +y_0=463000 +ellps=bessel +towgs84=565.4171,50.3319,465.5524,-0.398957388243134,0.343987817378283,-1.87740163998045,4.0725 +units=m +no_defs',
  ],
  [
    31370,
    'BD72 / Belgian Lambert 72',
    // BD72 to WGS 84 (3).
    '+proj=lcc +lat_0=90 +lon_0=4.36748666666667 +lat_1=51.1666672333333 +lat_2=49.8333339 +x_0=150000.013 +y_0=5400088.438 +ellps=intl +towgs84=-106.8686,52.2978,-103.7239,0.3366,-0.457,1.8422,-1.2747 +units=m +no_defs',
  ],
  [
    2154,
    'RGF93 v1 / Lambert-93',
    '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    27700,
    'OSGB36 / British National Grid',
    // OSGB36 to WGS 84 (6), a Helmert good to about 2 m; PROJ prefers the OSTN15 grid when installed.
    '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs',
  ],
  [
    2157,
    'IRENET95 / Irish Transverse Mercator',
    '+proj=tmerc +lat_0=53.5 +lon_0=-8 +k=0.99982 +x_0=600000 +y_0=750000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    2056,
    'CH1903+ / LV95',
    '+proj=somerc +lat_0=46.9524055555556 +lon_0=7.43958333333333 +k_0=1 +x_0=2600000 +y_0=1200000 +ellps=bessel +towgs84=674.374,15.056,405.346,0,0,0,0 +units=m +no_defs',
  ],
  [
    3416,
    'ETRS89 / Austria Lambert',
    '+proj=lcc +lat_0=47.5 +lon_0=13.3333333333333 +lat_1=49 +lat_2=46 +x_0=400000 +y_0=400000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    31287,
    'MGI / Austria Lambert',
    '+proj=lcc +lat_0=47.5 +lon_0=13.3333333333333 +lat_1=49 +lat_2=46 +x_0=400000 +y_0=400000 +ellps=bessel +towgs84=577.326,90.129,463.919,5.137,1.474,5.297,2.4232 +units=m +no_defs',
  ],
  [
    2180,
    'ETRS89 / Poland CS92',
    '+proj=tmerc +lat_0=0 +lon_0=19 +k=0.9993 +x_0=500000 +y_0=-5300000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    23700,
    'HD72 / EOV',
    // HD72 to WGS 84 (4).
    '+proj=somerc +lat_0=47.1443937222222 +lon_0=19.0485717777778 +k_0=0.99993 +x_0=650000 +y_0=200000 +ellps=GRS67 +towgs84=52.17,-71.82,-14.9,0,0,0,0 +units=m +no_defs',
  ],
  [
    3844,
    'Pulkovo 1942(58) / Stereo70',
    // Pulkovo 1942(58) to WGS 84 (19).
    '+proj=sterea +lat_0=46 +lon_0=25 +k=0.99975 +x_0=500000 +y_0=500000 +ellps=krass +towgs84=2.329,-147.042,-92.08,-0.309,0.325,0.497,5.69 +units=m +no_defs',
  ],
  [
    3794,
    'Slovenia 1996 / Slovene National Grid',
    '+proj=tmerc +lat_0=0 +lon_0=15 +k=0.9999 +x_0=500000 +y_0=-5000000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    3765,
    'HTRS96 / Croatia TM',
    '+proj=tmerc +lat_0=0 +lon_0=16.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    3763,
    'ETRS89 / Portugal TM06',
    '+proj=tmerc +lat_0=39.6682583333333 +lon_0=-8.13310833333333 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    2100,
    'GGRS87 / Greek Grid',
    '+proj=tmerc +lat_0=0 +lon_0=24 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +towgs84=-199.87,74.79,246.62,0,0,0,0 +units=m +no_defs',
  ],
  [3006, 'SWEREF99 TM', '+proj=utm +zone=33 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs'],
  [
    3067,
    'ETRS89 / TM35FIN(E,N)',
    '+proj=utm +zone=35 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    3346,
    'LKS94 / Lithuania TM',
    '+proj=tmerc +lat_0=0 +lon_0=24 +k=0.9998 +x_0=500000 +y_0=0 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    3059,
    'LKS92 / Latvia TM',
    '+proj=tmerc +lat_0=0 +lon_0=24 +k=0.9996 +x_0=500000 +y_0=-6000000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    3301,
    'Estonian Coordinate System of 1997',
    '+proj=lcc +lat_0=57.5175539305556 +lon_0=24 +lat_1=59.3333333333333 +lat_2=58 +x_0=500000 +y_0=6375000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    5070,
    'NAD83 / Conus Albers',
    '+proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5 +x_0=0 +y_0=0 +datum=NAD83 +units=m +no_defs',
  ],
  [
    3577,
    'GDA94 / Australian Albers',
    '+proj=aea +lat_0=0 +lon_0=132 +lat_1=-18 +lat_2=-36 +x_0=0 +y_0=0 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
  [
    2193,
    'NZGD2000 / New Zealand Transverse Mercator 2000',
    '+proj=tmerc +lat_0=0 +lon_0=173 +k=0.9996 +x_0=1600000 +y_0=10000000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  ],
];

export interface CrsDefinition {
  epsg: number;
  name: string;
  proj4: string;
}

function utmDefinitions(): CrsDefinition[] {
  const out: CrsDefinition[] = [];
  for (let zone = 1; zone <= 60; zone++) {
    out.push({
      epsg: WGS84_UTM_NORTH_BASE + zone,
      name: `WGS 84 / UTM zone ${zone}N`,
      proj4: `+proj=utm +zone=${zone} +datum=WGS84 +units=m +no_defs`,
    });
    out.push({
      epsg: WGS84_UTM_SOUTH_BASE + zone,
      name: `WGS 84 / UTM zone ${zone}S`,
      proj4: `+proj=utm +zone=${zone} +south +datum=WGS84 +units=m +no_defs`,
    });
  }
  const grs80 = '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs';
  for (let zone = ETRS89_UTM_ZONES[0]; zone <= ETRS89_UTM_ZONES[1]; zone++) {
    out.push({
      epsg: ETRS89_UTM_BASE + zone,
      name: `ETRS89 / UTM zone ${zone}N`,
      proj4: `+proj=utm +zone=${zone} ${grs80}`,
    });
  }
  for (const [base, first, last] of [SIRGAS2000_UTM_NORTH, SIRGAS2000_UTM_SOUTH]) {
    const south = base === SIRGAS2000_UTM_SOUTH[0];
    for (let zone = first; zone <= last; zone++) {
      out.push({
        epsg: base + zone - first,
        name: `SIRGAS 2000 / UTM zone ${zone}${south ? 'S' : 'N'}`,
        proj4: `+proj=utm +zone=${zone}${south ? ' +south' : ''} ${grs80}`,
      });
    }
  }
  return out;
}

/** Every known definition by EPSG code. */
export const CRS_DEFINITIONS: ReadonlyMap<number, CrsDefinition> = new Map(
  [...NAMED.map(([epsg, name, proj4]) => ({ epsg, name, proj4 })), ...utmDefinitions()].map((d) => [
    d.epsg,
    d,
  ]),
);

/** EPSG code of WGS 84 / UTM zone `zone` in the given hemisphere. */
export function utmEpsg(zone: number, south: boolean): number {
  return (south ? WGS84_UTM_SOUTH_BASE : WGS84_UTM_NORTH_BASE) + zone;
}

/** The zone and hemisphere of a WGS 84 / UTM EPSG code, or undefined for any other code. */
export function utmZoneOfEpsg(epsg: number): { zone: number; south: boolean } | undefined {
  const zone = epsg % 100;
  if (zone < 1 || zone > 60) return undefined;
  if (epsg - zone === WGS84_UTM_NORTH_BASE) return { zone, south: false };
  if (epsg - zone === WGS84_UTM_SOUTH_BASE) return { zone, south: true };
  return undefined;
}
