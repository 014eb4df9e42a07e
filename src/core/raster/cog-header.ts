/**
 * Reads a COG's header with geotiff.js, used for IFD parsing only: one or two ranged requests
 * through a HeaderCache, then each image's tags checked into a `CogImage` (see cog-image.ts).
 */
import { BadDataError, ParcelwatchError } from '../errors';
import { gridFromGeoTags, overviewGrid } from './cog-georef';
import { describeImage, type RawIfd, TAG } from './cog-image';
import type { Cog } from './cog-types';
import { DEFAULT_HEADER_BYTES, HeaderCache } from './header-cache';
import type { ByteSource } from './source';

/** Image + mask + overviews of any sane COG fit well below this; it stops IFD loops. */
const MAX_IFDS = 64;

/** NewSubfileType bits: a reduced-resolution copy (overview), a transparency mask. */
const SUBFILE_REDUCED = 1;
const SUBFILE_MASK = 4;

export interface ReadHeaderOptions {
  signal?: AbortSignal;
  /** Bytes fetched by the first header read. @default DEFAULT_HEADER_BYTES */
  headerBytes?: number;
}

/** Parses the header of the COG behind `source`: full-resolution image plus overviews. */
export async function readCogHeader(
  source: ByteSource,
  options: ReadHeaderOptions = {},
): Promise<Cog> {
  const cache = new HeaderCache(
    source,
    options.headerBytes ?? DEFAULT_HEADER_BYTES,
    options.signal,
  );
  const { ifds, littleEndian } = await parseIfds(source.url, cache, options.signal);
  // Ask the size after the first read: HTTP and S3 sources learn it from that response.
  cache.setSize(await source.size?.());
  const fileSize = cache.knownSize();

  const images = ifds.filter((ifd) => (ifd.subfileType & SUBFILE_MASK) === 0);
  const [full, ...rest] = images;
  if (!full || (full.subfileType & SUBFILE_REDUCED) !== 0) {
    throw new BadDataError(`COG ${source.url}: has no full-resolution image`, {
      code: 'COG_NO_IMAGE',
    });
  }
  const fullGrid = gridFromGeoTags(source.url, full.geo, full.width, full.height);
  const file = { source, littleEndian, fileSize };
  const main = describeImage(file, full, fullGrid);
  const overviews = rest
    .filter((ifd) => (ifd.subfileType & SUBFILE_REDUCED) !== 0)
    .map((ifd) =>
      describeImage(file, ifd, overviewGrid(fullGrid, ifd.width, ifd.height), main.nodata),
    );
  return { ...main, overviews };
}

async function parseIfds(
  url: string,
  cache: HeaderCache,
  signal?: AbortSignal,
): Promise<{ ifds: RawIfd[]; littleEndian: boolean }> {
  try {
    // Loaded on first use: geotiff.js pulls in `web-worker`, which throws when imported in a
    // worker thread started without workerData, and decoding workers never need the parser.
    const { GeoTIFF } = await import('geotiff');
    const tiff = await GeoTIFF.fromSource(cache, {}, signal);
    // Load every tag while parsing, from the cached header bytes. Also sidesteps geotiff 3.0.5's
    // deferred arrays, which decode TileOffsets as little-endian even in big-endian files.
    tiff.parser.eager = true;
    const ifds: RawIfd[] = [];
    const seenOffsets = new Set<number>();
    for (let index = 0; index < MAX_IFDS; index++) {
      const image = await tiff.getImage(index);
      const directory = image.fileDirectory;
      const tags = new Map<number, unknown>();
      for (const tag of Object.values(TAG)) {
        if (directory.hasTag(tag)) tags.set(tag, await directory.loadValue(tag));
      }
      ifds.push({
        subfileType: Number(tags.get(TAG.NewSubfileType) ?? 0),
        width: Number(tags.get(TAG.ImageWidth)),
        height: Number(tags.get(TAG.ImageLength)),
        tags,
        geo: {
          pixelScale: tags.get(TAG.ModelPixelScale) as ArrayLike<number> | undefined,
          tiepoint: tags.get(TAG.ModelTiepoint) as ArrayLike<number> | undefined,
          transformation: tags.get(TAG.ModelTransformation) as ArrayLike<number> | undefined,
          geoKeys: index === 0 ? (image.getGeoKeys() as Record<string, unknown> | null) : null,
        },
      });
      const next = directory.nextIFDByteOffset;
      if (next === 0) return { ifds, littleEndian: tiff.littleEndian };
      if (seenOffsets.has(next)) {
        throw new BadDataError(
          `COG ${url}: its IFD chain loops back to offset ${next}; the header is corrupt`,
          {
            code: 'COG_CORRUPT_HEADER',
          },
        );
      }
      seenOffsets.add(next);
    }
    throw new BadDataError(`COG ${url}: has more than ${MAX_IFDS} images; the header is corrupt`, {
      code: 'COG_CORRUPT_HEADER',
    });
  } catch (error) {
    // Errors of the byte source (transient, abort) and our own pass through unchanged; anything
    // geotiff.js or a DataView throws means the bytes are not a readable TIFF.
    if (error instanceof ParcelwatchError || (error as Error)?.name === 'AbortError') throw error;
    throw new BadDataError(
      `COG ${url}: is not a readable TIFF (${(error as Error)?.message ?? error}); check that the URL points to a GeoTIFF and that it is complete`,
      { code: 'COG_CORRUPT_HEADER', cause: error },
    );
  }
}
