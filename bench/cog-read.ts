/**
 * Whole-band read of a full-size Sentinel-2 10 m band in the Earth Search layout (10980² uint16,
 * 1024² tiles, DEFLATE + predictor 2, overviews), through our reader and through geotiff.js.
 * Prints figures; no pass/fail. Run: npx tsx bench/cog-read.ts
 *
 * The synthetic band is cached under bench/.data/ (about 1 min to make the first time).
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import type { TileLayout } from '../src/core/raster/cog-reader';
import { decodeTile, fetchTiles, openCog, tileLayout } from '../src/core/raster/cog-reader';
import { CountingSource } from '../src/core/raster/counting-source';
import { FileSource } from '../src/store/sources/file-source';

const SIZE = 10980;
const DATA_DIR = join(__dirname, '.data');
const COG_PATH = join(DATA_DIR, `s2-like-${SIZE}-u16-deflate-p2.tif`);

/**
 * Land-like content: fields of 40–200 px with their own reflectance, a gentle gradient and
 * per-pixel noise, so DEFLATE compresses about as well as on real bands (~1.5–2×).
 */
function writeSyntheticRaw(rawPath: string): void {
  let state = 12345;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const fieldSize = 120;
  const fieldsAcross = Math.ceil(SIZE / fieldSize);
  const fieldLevel = Float64Array.from(
    { length: fieldsAcross * fieldsAcross },
    () => 300 + random() * 4000,
  );
  const fd = openSync(rawPath, 'w');
  const row = new Uint16Array(SIZE);
  for (let y = 0; y < SIZE; y++) {
    const fieldRow = Math.floor(y / fieldSize) * fieldsAcross;
    for (let x = 0; x < SIZE; x++) {
      const level = fieldLevel[fieldRow + Math.floor(x / fieldSize)];
      row[x] = Math.max(1, Math.round(level + (x + y) * 0.02 + (random() - 0.5) * 300));
    }
    writeSync(fd, new Uint8Array(row.buffer));
  }
  closeSync(fd);
  writeFileSync(
    rawPath.replace(/\.bin$/, '.hdr'),
    `ENVI\nsamples = ${SIZE}\nlines = ${SIZE}\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\ndata type = 12\ninterleave = bsq\nbyte order = 0\n`,
  );
}

function ensureCog(): void {
  if (existsSync(COG_PATH)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const raw = join(DATA_DIR, 'synthetic.bin');
  console.log(`making ${COG_PATH} (once) ...`);
  writeSyntheticRaw(raw);
  // Earth Search's layout: UTM 29N, 10 m, 1024² tiles, DEFLATE + predictor 2, nodata 0, overviews.
  execFileSync('gdal_translate', [
    ...['-q', '-of', 'COG', '-a_srs', 'EPSG:32629', '-a_nodata', '0'],
    ...['-a_ullr', '199980', '2800020', '309780', '2690220'],
    ...[
      '-co',
      'BLOCKSIZE=1024',
      '-co',
      'COMPRESS=DEFLATE',
      '-co',
      'PREDICTOR=2',
      '-co',
      'NUM_THREADS=ALL_CPUS',
    ],
    ...[raw, COG_PATH],
  ]);
  rmSync(raw);
  rmSync(raw.replace(/\.bin$/, '.hdr'));
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

async function ourReader(maxGapBytes: number): Promise<number> {
  const source = new CountingSource(new FileSource(COG_PATH));
  const start = process.hrtime.bigint();
  const cog = await openCog(source);
  const headerRequests = source.requests;
  const headerBytes = source.bytes;
  const all = Array.from({ length: cog.tileOffsets.length }, (_, i) => i);
  const fetchStart = process.hrtime.bigint();
  const compressed = await fetchTiles(cog, all, { maxGapBytes });
  const fetchSeconds = seconds(fetchStart);
  const decodeStart = process.hrtime.bigint();
  let decodedBytes = 0;
  let checksum = 0;
  for (const [tile, bytes] of compressed) {
    const pixels = decodeTile(bytes, tileLayout(cog, tile));
    decodedBytes += pixels.byteLength;
    checksum = (checksum + pixels[(tile * 7919) % pixels.length]) % 1_000_000_007;
  }
  const decodeSeconds = seconds(decodeStart);
  const total = seconds(start);
  const fileSize = statSync(COG_PATH).size;
  const tileBytes = Array.from(cog.tileByteCounts).reduce((a, b) => a + b, 0);
  await source.close();

  console.log(
    `\nour reader (FileSource, fetchTiles maxGapBytes=${maxGapBytes} + decodeTile, one thread)`,
  );
  console.log(
    `  tiles             ${all.length} of ${cog.tileWidth}² (${cog.tilesAcross} × ${cog.tilesDown})`,
  );
  console.log(`  header            ${headerRequests} request(s), ${mb(headerBytes)} MB`);
  console.log(
    `  bytes read        ${mb(source.bytes)} MB in ${source.requests} requests; file ${mb(fileSize)} MB (full-res tiles ${mb(tileBytes)} MB, the rest is overviews)`,
  );
  console.log(`  fetch             ${fetchSeconds.toFixed(2)} s`);
  console.log(
    `  decode            ${decodeSeconds.toFixed(2)} s, ${mb(decodedBytes / decodeSeconds)} MB/s decoded (inflate + predictor)`,
  );
  console.log(
    `  total             ${total.toFixed(2)} s, ${mb(decodedBytes / total)} MB/s decoded end to end`,
  );
  return checksum;
}

/**
 * Decodes all tiles on a pool of worker threads, one per core. The pixels stay in the worker, as
 * they will when workers reduce tiles to parcel statistics: transferring 2 MiB of pixels back
 * per tile makes every decode allocate fresh memory, and the page faults erase the gain.
 */
async function ourReaderInWorkers(): Promise<void> {
  const threads = availableParallelism();
  const source = new FileSource(COG_PATH);
  const start = process.hrtime.bigint();
  const cog = await openCog(source);
  const all = Array.from({ length: cog.tileOffsets.length }, (_, i) => i);
  const compressed = [...(await fetchTiles(cog, all, { maxGapBytes: 16 }))];
  const workers = Array.from(
    { length: threads },
    () => new Worker(__filename, { execArgv: ['--require', 'tsx/cjs'] }),
  );
  // One tile in flight per worker: its pending answer, settled by the worker's single listener.
  const pending = new Map<Worker, { resolve(bytes: number): void; reject(e: unknown): void }>();
  for (const worker of workers) {
    worker.on('message', (decoded: number) => pending.get(worker)?.resolve(decoded));
    worker.on('error', (error) => pending.get(worker)?.reject(error));
  }
  const decodeOn = (worker: Worker, tile: number, bytes: Uint8Array) =>
    new Promise<number>((resolve, reject) => {
      pending.set(worker, { resolve, reject });
      // Copy the tile out of its request buffer: posting a view would clone the whole buffer.
      const own = bytes.slice();
      worker.postMessage({ bytes: own, layout: tileLayout(cog, tile) }, [own.buffer]);
    });
  // Start-up (thread, tsx transpile, JIT) is paid once per worker process, not per band.
  await Promise.all(workers.map((worker) => decodeOn(worker, compressed[0][0], compressed[0][1])));
  const decodeStart = process.hrtime.bigint();
  let decodedBytes = 0;
  let next = 0;
  await Promise.all(
    workers.map(async (worker) => {
      for (let item = compressed[next++]; item; item = compressed[next++]) {
        const decoded = await decodeOn(worker, item[0], item[1]);
        decodedBytes += decoded;
      }
    }),
  );
  const decodeSeconds = seconds(decodeStart);
  const total = seconds(start);
  await Promise.all(workers.map((w) => w.terminate()));
  await source.close();
  console.log(`\nour reader, decode on ${threads} worker threads (pixels stay in the worker)`);
  console.log(
    `  decode            ${decodeSeconds.toFixed(2)} s, ${mb(decodedBytes / decodeSeconds)} MB/s decoded`,
  );
  console.log(`  total             ${total.toFixed(2)} s (workers' start-up included)`);
}

async function geotiffReadRasters(): Promise<void> {
  const { fromFile } = await import('geotiff');
  const start = process.hrtime.bigint();
  const tiff = await fromFile(COG_PATH);
  const image = await tiff.getImage();
  const rasters = await image.readRasters({ interleave: true });
  const total = seconds(start);
  await tiff.close();
  console.log('\ngeotiff.js 3.0.5 readRasters (default pako decoder), once');
  console.log(
    `  total             ${total.toFixed(2)} s, ${mb(rasters.byteLength / total)} MB/s decoded`,
  );
}

async function main(): Promise<void> {
  ensureCog();
  console.log(`band: ${COG_PATH}`);
  await ourReader(0); // warm-up: page cache, JIT
  await ourReader(0);
  await ourReader(16);
  await ourReaderInWorkers();
  await geotiffReadRasters();
}

if (isMainThread) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  parentPort?.on('message', ({ bytes, layout }: { bytes: Uint8Array; layout: TileLayout }) => {
    parentPort?.postMessage(decodeTile(bytes, layout).byteLength);
  });
}
