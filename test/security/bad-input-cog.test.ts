import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../src/activities/deps';
import { rasterActivities } from '../../src/activities/rasters';
import { loadConfig } from '../../src/config';
import type { ParcelwatchError } from '../../src/core/errors';
import { openCog, readWindow } from '../../src/core/raster/cog-reader';
import type { ByteSource } from '../../src/core/raster/source';
import { sceneFromItem } from '../../src/core/stac/items';
import { assignGroups } from '../../src/store/db/groups';
import { upsertParcels, watchParcels } from '../../src/store/db/parcels-repo';
import { upsertScenes } from '../../src/store/db/scenes-repo';
import { FileSource } from '../../src/store/sources/file-source';
import { JsonLogger } from '../../src/telemetry/logger';
import { fixture } from '../helpers/fixtures';
import { scratchDir, square } from '../store/import/parcel-files';
import { type SecurityStore, securityStore } from './security-store';
import { leavesStoreUnchanged } from './snapshot';
import { longs, loopIfds, setCount, setLong, setValue, TAG } from './tiff-patch';

/**
 * Bad-input corpus, COG headers and tiles: copies of the real Sentinel-2 COGs of tile 29RKH with
 * their header or tiles damaged (absurd sizes, a decompression bomb, absurd tile counts, cut files
 * and tiles, an IFD loop, other compressions, bytes that are not a TIFF). Header damage goes
 * through the `downloadScene` activity on the shared store: it must fail naming the file and the
 * problem, and write no raster into the datalake and no row. Tile damage goes through the engine's
 * COG reader (decoding is where a bomb goes off).
 */

const SOURCE = fixture('s2-l2a-29RKH-20200219');
const BANDS = ['B04', 'B08', 'B11', 'SCL'] as const;
const QUIET = new JsonLogger({ service: 'bad-input-corpus', write: () => undefined });

/** A damage done in place to the file's bytes. */
const patch =
  (edit: (bytes: Buffer) => void) =>
  (bytes: Buffer): Buffer => {
    edit(bytes);
    return bytes;
  };

interface DamagedScene {
  name: string;
  /** The band whose file is damaged. */
  band: (typeof BANDS)[number];
  damage: (bytes: Buffer) => Buffer;
  /** The size of the file stays unknown to the reader (as behind a server without Content-Range). */
  sizeUnknown?: boolean;
  code: string;
  message: RegExp;
}

const DAMAGED: DamagedScene[] = [
  {
    name: 'an image 4 000 000 000 px wide (a decompression bomb by size)',
    band: 'B04',
    damage: patch((b) => setValue(b, TAG.ImageWidth, 4_000_000_000)),
    code: 'COG_ABSURD_SIZE',
    message: /B04\.tif: image size 4000000000 × 1098 exceeds 100000 px per side/,
  },
  {
    name: 'tiles of 65 536 px',
    band: 'B04',
    damage: patch((b) => setValue(b, TAG.TileWidth, 65_536)),
    code: 'COG_ABSURD_SIZE',
    message: /B04\.tif: tile size 65536 × 512 is outside 1\.\.4096 px/,
  },
  {
    name: 'a tile array claiming a billion tiles',
    band: 'B04',
    damage: patch((b) => setCount(b, TAG.TileOffsets, 1_000_000_000)),
    code: 'COG_CORRUPT_HEADER',
    message:
      /B04\.tif: a header field of 4000000000 bytes at offset \d+ exceeds 33554432; the header is corrupt/,
  },
  {
    name: 'a tile count that does not match the image',
    band: 'B04',
    damage: patch((b) => setValue(b, TAG.TileWidth, 16)),
    code: 'COG_CORRUPT_HEADER',
    message: /B04\.tif: has 9 tile offsets and 9 byte counts for 207 tiles; the header is corrupt/,
  },
  {
    name: 'a tile claiming 2 GB',
    band: 'B08',
    damage: patch((b) => setLong(b, TAG.TileByteCounts, 0, 0x7fffffff)),
    code: 'COG_ABSURD_TILE',
    message:
      /B08\.tif: tile 0 claims 2147483647 bytes, more than the \d+ a tile of this size can take/,
  },
  {
    name: 'a file cut at 60 %',
    band: 'B11',
    damage: (b) => b.subarray(0, Math.floor(b.byteLength * 0.6)),
    code: 'COG_TRUNCATED',
    message:
      /B11\.tif: tile \d+ ends at byte \d+, past the end of the \d+-byte file; the file was cut during upload/,
  },
  {
    // The third band: B04 and B08 were read whole before B11 fails, and must not be kept.
    name: 'a cut file whose size the server does not tell (the third band)',
    band: 'B11',
    damage: (b) => b.subarray(0, 100_000),
    sizeUnknown: true,
    code: 'COG_TILE_TRUNCATED',
    message:
      /B11\.tif: tile \d+ is truncated \(got \d+ of \d+ bytes\); the file is corrupt or was cut during upload/,
  },
  {
    name: 'an IFD chain that loops',
    band: 'B04',
    damage: patch((b) => loopIfds(b)),
    code: 'COG_CORRUPT_HEADER',
    message: /B04\.tif: its IFD chain loops back to offset \d+; the header is corrupt/,
  },
  {
    name: 'JPEG compression',
    band: 'B04',
    damage: patch((b) => setValue(b, TAG.Compression, 7)),
    code: 'COG_UNSUPPORTED_COMPRESSION',
    message:
      /B04\.tif: uses JPEG compression, which this reader does not decode; rewrite it with gdal_translate/,
  },
  {
    name: '64-bit samples',
    band: 'B04',
    damage: patch((b) => setValue(b, TAG.BitsPerSample, 64)),
    code: 'COG_UNSUPPORTED_DATA_TYPE',
    message: /B04\.tif: sample type \(format 1, 64 bits\) is not one of uint8, uint16/,
  },
  {
    name: 'a JSON document instead of a TIFF',
    band: 'B04',
    damage: () => Buffer.from('{"message": "Access Denied"}'),
    code: 'COG_CORRUPT_HEADER',
    message:
      /B04\.tif: is not a readable TIFF \(.*\); check that the URL points to a GeoTIFF and that it is complete/,
  },
  {
    name: 'an empty file',
    band: 'B04',
    damage: () => Buffer.alloc(0),
    code: 'COG_CORRUPT_HEADER',
    message: /B04\.tif: is not a readable TIFF/,
  },
];

/** A source that does not know its size, as an HTTP server that sends no total length. */
function withoutSize(source: ByteSource & { close(): Promise<void> }) {
  return { url: source.url, fetch: source.fetch.bind(source), close: () => source.close() };
}

describe('bad-input corpus: COG headers and tiles', function () {
  this.timeout(60_000);
  let store: SecurityStore;
  let groupId: number;
  const scratch = scratchDir('pw-corpus-cog-');
  const sceneIds = new Map<string, string>();

  before(async () => {
    store = await securityStore();
    // Watched parcels in the middle of tile 29RKH, grouped: what downloadScene clips for.
    const parcels = [0, 1, 2].map((i) => ({
      externalId: `cog-${i}`,
      geometry: square(-11.45 + 0.02 * i, 24.8, 0.005),
    }));
    const { ids } = await upsertParcels(store.db, parcels, { source: 'corpus-cog' });
    await watchParcels(store.db, { ids }, true);
    await assignGroups(store.db);
    const group = await store.pool.query<{ group_id: string }>(
      'SELECT DISTINCT group_id::text FROM parcels WHERE id = ANY($1::bigint[])',
      [ids],
    );
    assert.equal(group.rows.length, 1, 'the three parcels share one group');
    groupId = Number(group.rows[0]!.group_id);

    // One scene per case, its bands in a folder of their own, one of them damaged.
    const item = JSON.parse(
      readFileSync(path.join(SOURCE, 'S2A_29RKH_20200219_0_L2A.json'), 'utf8'),
    );
    const scenes = DAMAGED.map((bad, i) => {
      const dir = path.join(scratch, `case-${i}`);
      mkdirSync(dir);
      for (const band of BANDS)
        copyFileSync(path.join(SOURCE, `${band}.tif`), path.join(dir, `${band}.tif`));
      const file = path.join(dir, `${bad.band}.tif`);
      writeFileSync(file, bad.damage(readFileSync(file)));
      const copy = structuredClone(item);
      copy.id = `S2A_29RKH_20200219_${i + 10}_L2A`;
      for (const [key, band] of [
        ['red', 'B04'],
        ['nir', 'B08'],
        ['swir16', 'B11'],
        ['scl', 'SCL'],
      ]) {
        copy.assets[key].href = pathToFileURL(path.join(dir, `${band}.tif`)).href;
      }
      const parsed = sceneFromItem(copy, { requiredBands: [...BANDS] });
      assert.ok(parsed.ok, `case ${i} item parses`);
      sceneIds.set(bad.name, copy.id);
      return parsed.scene;
    });
    await upsertScenes(store.db, scenes, 'found');
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const bad of DAMAGED) {
    it(`fails downloadScene on ${bad.name}, naming it, and writes no raster`, async () => {
      const config = loadConfig(store.env);
      const deps = {
        db: store.db,
        config,
        datalake: store.datalake,
        openSource: (href: string) => {
          const source = new FileSource(href);
          return bad.sizeUnknown && href.endsWith(`${bad.band}.tif`) ? withoutSize(source) : source;
        },
      } as unknown as ActivityDeps;
      await leavesStoreUnchanged(store, bad.name, async () => {
        const error = await new MockActivityEnvironment({}, { logger: QUIET })
          .run(rasterActivities(deps).downloadScene, {
            sceneId: sceneIds.get(bad.name)!,
            groupId,
            indices: ['ndvi', 'ndmi'],
            algorithmVersion: 'corpus',
          })
          .then(
            () => assert.fail(`downloadScene accepted ${bad.name}`),
            (e: ParcelwatchError) => e,
          );
        assert.equal(error.code, bad.code, error.message);
        assert.match(error.message, bad.message);
      });
    });
  }

  describe('tiles through the COG reader', () => {
    /** A copy of B04 whose first tile is replaced by `tile` (appended, so the rest stays intact). */
    function withFirstTile(name: string, tile: (original: Buffer) => Buffer): string {
      const bytes = readFileSync(path.join(SOURCE, 'B04.tif'));
      const [offset] = longs(bytes, TAG.TileOffsets);
      const [count] = longs(bytes, TAG.TileByteCounts);
      const replacement = tile(bytes.subarray(offset!, offset! + count!));
      setLong(bytes, TAG.TileOffsets, 0, bytes.byteLength);
      setLong(bytes, TAG.TileByteCounts, 0, replacement.byteLength);
      const file = path.join(scratch, name);
      writeFileSync(file, Buffer.concat([bytes, replacement]));
      return file;
    }

    const TILES: Array<{
      name: string;
      file: string;
      tile: (original: Buffer) => Buffer;
      code: string;
      message: RegExp;
    }> = [
      {
        name: 'a tile that inflates to 40 times its size (a decompression bomb)',
        file: 'bomb.tif',
        // 512 × 512 uint16 = 512 KiB decoded; 20 MiB of zeros deflate to about 20 KiB.
        tile: () => deflateSync(Buffer.alloc(20 * 1024 * 1024)),
        code: 'COG_TILE_CORRUPT',
        message: /bomb\.tif: tile 0 inflates to more than its 524288 bytes; the file is corrupt/,
      },
      {
        name: 'a tile of random bytes',
        file: 'random.tif',
        tile: (original) => Buffer.from(original.map((_, i) => (i * 151 + 7) % 256)),
        code: 'COG_TILE_CORRUPT',
        message: /random\.tif: tile 0 is corrupt \(DEFLATE: .*\); the file is damaged/,
      },
      {
        name: 'a tile cut in half',
        file: 'cut.tif',
        tile: (original) => original.subarray(0, Math.floor(original.byteLength / 2)),
        code: 'COG_TILE_TRUNCATED',
        message:
          /cut\.tif: tile 0 is truncated \(its DEFLATE stream ends early, \d+ compressed bytes\)/,
      },
    ];

    for (const bad of TILES) {
      it(`refuses ${bad.name}, naming the file and tile`, async () => {
        const file = withFirstTile(bad.file, bad.tile);
        await leavesStoreUnchanged(store, bad.name, async () => {
          const source = new FileSource(pathToFileURL(file).href);
          try {
            const cog = await openCog(source);
            const error = await readWindow(cog, { col: 0, row: 0, width: 16, height: 16 }).then(
              () => assert.fail(`${bad.name} was decoded`),
              (e: ParcelwatchError) => e,
            );
            assert.equal(error.code, bad.code, error.message);
            assert.match(error.message, bad.message);
          } finally {
            await source.close();
          }
        });
      });
    }
  });
});
