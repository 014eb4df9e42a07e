import proj4 from 'proj4';
import type { BBox, Position } from '../../src/core/geo/types';
import { geoTransform, type RasterGrid } from '../../src/core/raster/grid';
import type { Acquisition } from './acquisitions';
import { BAND_SPECS, DECLARED_OFFSET, REFLECTANCE_SCALE, Scl, type SyntheticBand } from './bands';
import { type MgrsTile, UTM33_PROJ4 } from './tiles';

/**
 * STAC items in the layout of Earth Search v1 `sentinel-2-l2a` (structure copied from the real
 * item S2B_33TWL_20230820_0_L2A in the shared fixtures), describing the COGs actually written.
 */
export interface SceneDescription {
  id: string;
  tile: MgrsTile;
  acquisition: Acquisition;
  datetime: string;
  /** Band → grid of the COG written for it. */
  grids: Partial<Record<SyntheticBand, RasterGrid>>;
  /** Band → href as written in the item (relative to the item file). */
  hrefs: Partial<Record<SyntheticBand, string>>;
  /** Count of each SCL value over the SCL COG (all zero when SCL was not generated). */
  sclHistogram: Float64Array;
  /** Valid-data footprint in UTM. */
  footprint: Position[];
  offsetApplied: boolean;
  processingBaseline: string;
}

export const COLLECTION_ID = 'sentinel-2-l2a';
const COG_TYPE = 'image/tiff; application=geotiff; profile=cloud-optimized';
/** Items appear about nine hours after sensing, as on Earth Search. */
const PUBLICATION_DELAY_MS = 9 * 3600_000;
/** Points per footprint edge, so the WGS84 outline follows the UTM one. */
const FOOTPRINT_EDGE_POINTS = 8;
const STAC_EXTENSIONS = [
  'https://stac-extensions.github.io/view/v1.0.0/schema.json',
  'https://stac-extensions.github.io/eo/v1.1.0/schema.json',
  'https://stac-extensions.github.io/grid/v1.0.0/schema.json',
  'https://stac-extensions.github.io/raster/v1.1.0/schema.json',
  'https://stac-extensions.github.io/projection/v1.1.0/schema.json',
  'https://stac-extensions.github.io/processing/v1.1.0/schema.json',
  'https://stac-extensions.github.io/mgrs/v1.0.0/schema.json',
];

const toWgs84 = proj4(UTM33_PROJ4, 'WGS84');

/** Keeps the part of a convex ring where sx·x + sy·y ≤ edge (Sutherland–Hodgman, one plane). */
export function clipRing(
  ring: readonly Position[],
  sx: number,
  sy: number,
  edge: number,
): Position[] {
  const out: Position[] = [];
  const inside = (p: Position) => sx * p[0] + sy * p[1] <= edge;
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i];
    const b = ring[(i + 1) % ring.length];
    if (inside(a)) out.push(a);
    if (inside(a) !== inside(b)) {
      const da = sx * a[0] + sy * a[1] - edge;
      const db = sx * b[0] + sy * b[1] - edge;
      const t = da / (da - db);
      out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
    }
  }
  return out;
}

export function rectangleRing([x0, y0, x1, y1]: BBox): Position[] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

function footprintLonLat(footprint: readonly Position[]): Position[] {
  const dense: Position[] = [];
  footprint.forEach((a, i) => {
    const b = footprint[(i + 1) % footprint.length];
    for (let k = 0; k < FOOTPRINT_EDGE_POINTS; k++) {
      const t = k / FOOTPRINT_EDGE_POINTS;
      dense.push(toWgs84.forward([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]) as Position);
    }
  });
  dense.push(dense[0]);
  return dense;
}

function percentages(histogram: Float64Array) {
  const total = histogram.reduce((s, n) => s + n, 0);
  const data = total - histogram[Scl.NO_DATA];
  const share = (...classes: number[]) =>
    data > 0
      ? Number(((100 * classes.reduce((s, c) => s + histogram[c], 0)) / data).toFixed(6))
      : 0;
  return {
    cloudCover: share(Scl.CLOUD_MEDIUM, Scl.CLOUD_HIGH, Scl.THIN_CIRRUS),
    properties: {
      's2:degraded_msi_data_percentage': 0,
      's2:nodata_pixel_percentage':
        total > 0 ? Number(((100 * histogram[Scl.NO_DATA]) / total).toFixed(6)) : 100,
      's2:saturated_defective_pixel_percentage': 0,
      's2:dark_features_percentage': share(2),
      's2:cloud_shadow_percentage': share(Scl.CLOUD_SHADOW),
      's2:vegetation_percentage': share(Scl.VEGETATION),
      's2:not_vegetated_percentage': share(Scl.NOT_VEGETATED),
      's2:water_percentage': share(Scl.WATER),
      's2:unclassified_percentage': share(7),
      's2:medium_proba_clouds_percentage': share(Scl.CLOUD_MEDIUM),
      's2:high_proba_clouds_percentage': share(Scl.CLOUD_HIGH),
      's2:thin_cirrus_percentage': share(Scl.THIN_CIRRUS),
      's2:snow_ice_percentage': share(11),
    },
  };
}

function asset(band: SyntheticBand, href: string, grid: RasterGrid) {
  const spec: (typeof BAND_SPECS)[SyntheticBand] = BAND_SPECS[band];
  const [x0, pw, , y0, , ph] = geoTransform(grid);
  const rasterBand =
    band === 'SCL'
      ? { nodata: 0, data_type: 'uint8', spatial_resolution: spec.resolution }
      : {
          nodata: 0,
          data_type: 'uint16',
          bits_per_sample: 15,
          spatial_resolution: spec.resolution,
          scale: REFLECTANCE_SCALE,
          offset: DECLARED_OFFSET,
        };
  return {
    href,
    type: COG_TYPE,
    title: spec.title,
    ...('eo' in spec ? { 'eo:bands': [spec.eo], gsd: spec.resolution } : {}),
    'proj:shape': [grid.height, grid.width],
    'proj:transform': [pw, 0, x0, 0, ph, y0],
    'raster:bands': [rasterBand],
    roles: ['data', 'reflectance'],
  };
}

export function stacItem(scene: SceneDescription): Record<string, unknown> {
  const { tile, acquisition } = scene;
  const sensed = new Date(scene.datetime);
  const created = new Date(sensed.getTime() + PUBLICATION_DELAY_MS).toISOString();
  const compactSensing = acquisition.sensingStart.replace(/[-:]/g, '').slice(0, 15);
  const compactCreated = created.replace(/[-:]/g, '').slice(0, 15);
  const baseline = scene.processingBaseline;
  const { cloudCover, properties: s2Percentages } = percentages(scene.sclHistogram);
  const ring = footprintLonLat(scene.footprint);
  const lons = ring.map((p) => p[0]);
  const lats = ring.map((p) => p[1]);
  const [year, month] = acquisition.date.split('-').map(Number);
  const s3Path = `s3://sentinel-cogs/sentinel-s2-l2a-cogs/${tile.utmZone}/${tile.latitudeBand}/${tile.gridSquare}/${year}/${month}/${scene.id}`;
  const bands = Object.keys(scene.hrefs) as SyntheticBand[];
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    id: scene.id,
    properties: {
      created,
      platform: acquisition.platform,
      constellation: 'sentinel-2',
      instruments: ['msi'],
      'eo:cloud_cover': cloudCover,
      'proj:epsg': tile.epsg,
      'proj:code': `EPSG:${tile.epsg}`,
      'mgrs:utm_zone': tile.utmZone,
      'mgrs:latitude_band': tile.latitudeBand,
      'mgrs:grid_square': tile.gridSquare,
      'grid:code': `MGRS-${tile.id}`,
      'view:sun_azimuth': 150 + acquisition.dayOfYear / 100,
      'view:sun_elevation': 40 + acquisition.dayOfYear / 20,
      ...s2Percentages,
      's2:product_type': 'S2MSI2A',
      's2:processing_baseline': baseline,
      's2:product_uri': `${acquisition.platformCode}_MSIL2A_${compactSensing}_N${baseline.replace('.', '')}_R079_T${tile.id}_${compactCreated}.SAFE`,
      's2:generation_time': created,
      's2:datatake_id': acquisition.datatakeId,
      's2:datatake_type': 'INS-NOBS',
      's2:datastrip_id': `${acquisition.platformCode}_OPER_MSI_L2A_DS_2BPS_${compactCreated}_S${compactSensing}_N${baseline}`,
      's2:granule_id': `${acquisition.platformCode}_OPER_MSI_L2A_TL_2BPS_${compactCreated}_A${String(acquisition.absoluteOrbit).padStart(6, '0')}_T${tile.id}_N${baseline}`,
      's2:reflectance_conversion_factor':
        1 - 0.0334 * Math.cos((2 * Math.PI * (acquisition.dayOfYear - 4)) / 365),
      datetime: scene.datetime,
      's2:sequence': '0',
      'earthsearch:s3_path': s3Path,
      'earthsearch:payload_id': `synthetic/parcelwatch/${scene.id}`,
      'earthsearch:boa_offset_applied': scene.offsetApplied,
      'processing:software': { 'parcelwatch-synthetic': '1' },
      updated: created,
    },
    geometry: { type: 'Polygon', coordinates: [ring] },
    links: [
      {
        rel: 'license',
        href: 'https://sentinel.esa.int/documents/247904/690755/Sentinel_Data_Legal_Notice',
      },
    ],
    assets: Object.fromEntries(
      bands.map((band) => [
        BAND_SPECS[band].asset,
        asset(band, scene.hrefs[band]!, scene.grids[band]!),
      ]),
    ),
    bbox: [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)],
    stac_extensions: STAC_EXTENSIONS,
    collection: COLLECTION_ID,
  };
}
