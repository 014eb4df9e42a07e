import { type Command, Option } from 'commander';

interface ComputeOptions {
  item: string;
  parcels: string;
  assets?: string;
  idField?: string;
  srs?: string;
  index?: string;
  buffer?: string;
  threshold?: string;
  validScl?: string;
  out?: string;
  threads?: string;
  json?: boolean;
}

export function registerCompute(program: Command): void {
  program
    .command('compute')
    .description(
      'Compute per-parcel index statistics of one STAC item for the parcels of a GeoJSON file (no Temporal, no database)',
    )
    .requiredOption(
      '--item <file|url>',
      'STAC item: a local JSON file (relative asset hrefs resolve against its folder) or a URL',
    )
    .requiredOption(
      '--parcels <file>',
      'GeoJSON FeatureCollection of parcels (WGS 84 unless it says otherwise or --srs)',
    )
    .option(
      '--assets <dir>',
      "read the item's assets from this folder (files named like the last part of each href) instead of their URLs",
    )
    .option(
      '--id-field <name>',
      'property holding the parcel id (default: id, parcel_id, external_id, … or the feature id)',
    )
    .option('--srs <crs>', 'CRS of the parcel coordinates, e.g. EPSG:28992 or a proj4 string')
    .option(
      '--index <list>',
      'indices to compute, comma-separated (default: PARCELWATCH_INDICES, ndvi,ndmi)',
    )
    .option(
      '--buffer <metres>',
      'inward buffer before selecting pixels (default: PARCELWATCH_BUFFER_M, 5)',
    )
    .option(
      '--threshold <fraction>',
      'valid fraction from which an observation is ok (default: PARCELWATCH_OK_THRESHOLD, 0.5)',
    )
    .option(
      '--valid-scl <list>',
      'SCL classes counted as clear (default: PARCELWATCH_VALID_SCL, 4,5,6,7)',
    )
    .addOption(new Option('--threads <n>', 'worker threads (default: the number of cores)'))
    .option('--out <file>', 'write the CSV here (default: standard output)')
    .option('--json', 'print the run summary as JSON on standard error')
    .addHelpText(
      'after',
      `
Output: CSV with the columns parcel_id,index,mean,median,std,min,max,p10,p90,valid_pixels,total_pixels,valid_fraction,status,flags
(status ok | cloudy | nodata; flags buffer-fallback, outside-raster, offset-suspect, ';'-separated).

Examples:
  $ parcelwatch compute --item S2B_33TWL_20230820_0_L2A.json --parcels fields.geojson --out stats.csv
  $ parcelwatch compute --item scene/item.json --assets scene/ --parcels fields.geojson   # COGs downloaded beside the item
  $ parcelwatch compute --item https://earth-search.aws.element84.com/v1/collections/sentinel-2-l2a/items/S2B_33TWL_20230820_0_L2A \\
      --parcels fields.geojson --id-field parcel --index ndvi,ndmi,evi --buffer 10`,
    )
    .action(async (options: ComputeOptions) => {
      // Loaded on use: the engine is heavy and most commands do not need it.
      const { runCompute } = require('../compute-run') as typeof import('../compute-run');
      await runCompute(options);
    });
}

export type { ComputeOptions };
