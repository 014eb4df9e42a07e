/**
 * Datalake keys: what is allowed in one, and the layout of the objects the pipeline writes.
 *
 * ```
 * raw/<tile>/<yyyy-mm-dd>/<sceneId>/g<groupNumber>/<band>.tif    provider COG clipped to a group's tiles
 * clean/<tile>/<yyyy-mm-dd>/<sceneId>/g<groupNumber>/<band>.tif  masked, harmonised, on the 10 m grid
 * archive/…                                                      reserved: objects kept by the purge
 * ```
 *
 * e.g. `raw/29RKH/2020-02-19/S2A_29RKH_20200219_0_L2A/g3/B04.tif`. Keys are deterministic: a retry
 * of the same scene and group writes the same key, so it replaces rather than duplicates. The date
 * is the acquisition's UTC day; tile first keeps one tile's objects together for listing and purge.
 */
import { BadInputError } from '../../core/errors';
import { BAND_IDS, type BandId } from '../../core/stac/scene';
import { normaliseTile } from '../../core/stac/tile';

/** S3's limit on key length (in bytes; our keys are ASCII). */
export const MAX_KEY_LENGTH = 1024;
/**
 * Leaves room under the usual 255-byte file-name limit for the temporary name a filesystem
 * datalake writes beside the object (`.<name>.<pid>.<random>.partial`).
 */
export const MAX_SEGMENT_LENGTH = 200;

/**
 * One key segment: letters, digits, `_`, `-`, `.` and `=`, not starting with `.` — so no `.` or
 * `..`, no hidden files, nothing a shell or URL would mangle, and never a name the filesystem
 * datalake uses for its own temporary files.
 */
const SEGMENT = /^[A-Za-z0-9_=-][A-Za-z0-9._=-]*$/;
/** Scene ids as providers write them (`S2A_29RKH_20200219_0_L2A`). */
const SCENE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const DATE = /^(\d{4}-\d{2}-\d{2})/;

export const RAW_PREFIX = 'raw/';
export const CLEAN_PREFIX = 'clean/';
/** Reserved for the purge's archive: nothing else writes under it. */
export const ARCHIVE_PREFIX = 'archive/';

function badKey(key: string, why: string): BadInputError {
  return new BadInputError(
    `datalake key ${JSON.stringify(key)} ${why}; keys are relative, '/'-separated names of letters, digits, '_', '-', '.' and '=' (not starting with '.')`,
    { code: 'DATALAKE_BAD_KEY' },
  );
}

/** Returns `key` when it is a valid datalake key; a BadInputError saying why otherwise. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw badKey(String(key), 'is empty');
  if (key.length > MAX_KEY_LENGTH) throw badKey(key, `is longer than ${MAX_KEY_LENGTH} characters`);
  if (key.startsWith('/')) throw badKey(key, 'starts with /');
  for (const segment of key.split('/')) {
    if (segment.length === 0) throw badKey(key, 'has an empty segment (// or a trailing /)');
    if (segment.length > MAX_SEGMENT_LENGTH) {
      throw badKey(key, `has a segment longer than ${MAX_SEGMENT_LENGTH} characters`);
    }
    if (!SEGMENT.test(segment)) throw badKey(key, `has the segment ${JSON.stringify(segment)}`);
  }
  return key;
}

/** Returns `prefix` when it can start keys: empty, or a key optionally followed by `/`. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

export type RasterArea = 'raw' | 'clean';

/** The scene and group a raster belongs to. */
export interface SceneGroupRef {
  area: RasterArea;
  /** MGRS tile, any common spelling (`29RKH`, `T29RKH`); written normalised. */
  tile: string;
  /** Acquisition time (ISO 8601) or its UTC day (`yyyy-mm-dd`). */
  acquiredAt: string;
  sceneId: string;
  /** The group's number within its tile. */
  groupNumber: number;
}

export interface SceneRasterRef extends SceneGroupRef {
  band: BandId;
}

function bad(what: string): BadInputError {
  return new BadInputError(`datalake key: ${what}`, { code: 'DATALAKE_BAD_KEY' });
}

function utcDay(acquiredAt: string): string {
  const time = Date.parse(acquiredAt);
  if (DATE.test(acquiredAt) && !Number.isNaN(time)) {
    // An instant with an offset becomes its UTC day; a plain day must name a real one.
    const day = new Date(time).toISOString().slice(0, 10);
    if (acquiredAt.length > 10 || day === acquiredAt) return day;
  }
  throw bad(`acquisition time ${JSON.stringify(acquiredAt)} is not an ISO 8601 date or instant`);
}

/** `<area>/<tile>/<yyyy-mm-dd>/<sceneId>/g<groupNumber>/`: every band of one scene and group. */
export function sceneGroupPrefix(ref: SceneGroupRef): string {
  if (ref.area !== 'raw' && ref.area !== 'clean') {
    throw bad(`area ${JSON.stringify(ref.area)} is not raw or clean`);
  }
  const tile = normaliseTile(ref.tile);
  if (!tile) throw bad(`${JSON.stringify(ref.tile)} is not an MGRS tile id such as 29RKH`);
  if (!SCENE_ID.test(ref.sceneId) || ref.sceneId.length > MAX_SEGMENT_LENGTH) {
    throw bad(
      `scene id ${JSON.stringify(ref.sceneId)} holds characters other than A–Z, 0–9, _ and -`,
    );
  }
  if (!Number.isSafeInteger(ref.groupNumber) || ref.groupNumber < 0) {
    throw bad(`group number ${ref.groupNumber} is not a non-negative integer`);
  }
  return `${ref.area}/${tile}/${utcDay(ref.acquiredAt)}/${ref.sceneId}/g${ref.groupNumber}/`;
}

/** The key of one band's raster of a scene and group. */
export function sceneRasterKey(ref: SceneRasterRef): string {
  if (!(BAND_IDS as readonly string[]).includes(ref.band)) {
    throw bad(`${JSON.stringify(ref.band)} is not a Sentinel-2 band id (${BAND_IDS.join(', ')})`);
  }
  return checkKey(`${sceneGroupPrefix(ref)}${ref.band}.tif`);
}

const RASTER_KEY =
  /^(raw|clean)\/([0-9]{2}[A-Z]{3})\/(\d{4}-\d{2}-\d{2})\/([A-Za-z0-9][A-Za-z0-9_-]*)\/g(\d+)\/([A-Z0-9]+)\.tif$/;

/** The parts of a scene raster key, or undefined when `key` does not follow the layout. */
export function parseSceneRasterKey(key: string): SceneRasterRef | undefined {
  const match = RASTER_KEY.exec(key);
  if (!match || !(BAND_IDS as readonly string[]).includes(match[6]!)) return undefined;
  return {
    area: match[1] as RasterArea,
    tile: match[2]!,
    acquiredAt: match[3]!,
    sceneId: match[4]!,
    groupNumber: Number(match[5]),
    band: match[6] as BandId,
  };
}

/** Where the purge keeps a copy of `key` (under the reserved `archive/` prefix). */
export function archiveKey(key: string): string {
  checkKey(key);
  if (key.startsWith(ARCHIVE_PREFIX)) throw bad(`${key} is already an archive key`);
  return checkKey(`${ARCHIVE_PREFIX}${key}`);
}
