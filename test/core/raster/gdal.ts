/**
 * GDAL and a stdlib-Python TIFF dumper, run from tests as independent witnesses of what a
 * GeoTIFF holds, plus small writers of test rasters with pixel values the test chose.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FIXTURES = fixture('s2-l2a-29RKH-20200219');

export function run(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix = 'parcelwatch-cog-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface GdalInfo {
  size: [number, number];
  geoTransform: number[];
  stac?: { 'proj:epsg'?: number };
  bands: Array<{
    block: [number, number];
    type: string;
    noDataValue?: number;
    overviews?: Array<{ size: [number, number] }>;
  }>;
}

export function gdalinfo(path: string): GdalInfo {
  return JSON.parse(run('gdalinfo', ['-json', path])) as GdalInfo;
}

/** Values at (col, row) pixel positions of one band, as GDAL reads them. */
export function gdalValuesAt(
  path: string,
  band: number,
  points: Array<[number, number]>,
): number[] {
  const input = `${points.map(([c, r]) => `${c} ${r}`).join('\n')}\n`;
  return run('gdallocationinfo', ['-valonly', '-b', String(band), path], input)
    .trim()
    .split('\n')
    .map(Number);
}

/** One band's pixels exactly as GDAL decodes them (ENVI raw, host byte order). */
export function gdalBandBytes(path: string, band: number): Buffer {
  const tmp = tempDir();
  try {
    const out = join(tmp.dir, 'band.bin');
    run('gdal_translate', ['-q', '-of', 'ENVI', '-b', String(band), path, out]);
    return readFileSync(out);
  } finally {
    tmp.remove();
  }
}

export interface TiffTag {
  type: number;
  count: number;
  /** Absolute file offset of the tag's 12- (or 20-) byte IFD entry. */
  entryOffset: number;
  /** Absolute file offset of the values (or of the inline value field). */
  valueOffset: number;
  values?: number[];
}

/** The first IFD's raw tags, parsed by Python's struct module: no geotiff.js, no GDAL. */
export function tiffTags(path: string): {
  littleEndian: boolean;
  bigTiff: boolean;
  tags: Record<string, TiffTag>;
} {
  return JSON.parse(run('python3', ['-c', TIFF_DUMPER, path]));
}

const TIFF_DUMPER = `
import json, struct, sys
d = open(sys.argv[1], 'rb').read()
bo = '<' if d[:2] == b'II' else '>'
big = struct.unpack(bo + 'H', d[2:4])[0] == 43
ifd = struct.unpack(bo + 'Q', d[8:16])[0] if big else struct.unpack(bo + 'I', d[4:8])[0]
sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8, 17: 8, 18: 8}
fmt = {3: 'H', 4: 'I', 16: 'Q'}
n = struct.unpack(bo + ('Q' if big else 'H'), d[ifd:ifd + (8 if big else 2)])[0]
pos = ifd + (8 if big else 2)
esz, inline = (20, 8) if big else (12, 4)
tags = {}
for i in range(n):
    e = pos + i * esz
    tag, typ = struct.unpack(bo + 'HH', d[e:e + 4])
    cnt = struct.unpack(bo + ('Q' if big else 'I'), d[e + 4:e + (12 if big else 8)])[0]
    voff = e + (12 if big else 8)
    if sizes[typ] * cnt > inline:
        voff = struct.unpack(bo + ('Q' if big else 'I'), d[voff:voff + inline])[0]
    entry = {'type': typ, 'count': cnt, 'valueOffset': voff, 'entryOffset': e}
    if tag in (324, 325):
        entry['values'] = list(struct.unpack(bo + fmt[typ] * cnt, d[voff:voff + sizes[typ] * cnt]))
    tags[tag] = entry
print(json.dumps({'littleEndian': bo == '<', 'bigTiff': big, 'tags': tags}))
`;

import { fixture } from '../../helpers/fixtures';

export type EnviType = 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';
const ENVI_CODES: Record<EnviType, number> = {
  uint8: 1,
  int16: 2,
  int32: 3,
  float32: 4,
  uint16: 12,
  uint32: 13,
};

/**
 * Writes `pixels` (band-sequential) as an ENVI raster GDAL can read, and returns the path of its
 * data file. No georeferencing: callers assign it with gdal_translate -a_srs/-a_ullr.
 */
export function writeEnvi(
  dir: string,
  name: string,
  shape: { width: number; height: number; bands: number; type: EnviType },
  pixels: ArrayBufferView,
): string {
  const data = join(dir, `${name}.bin`);
  writeFileSync(data, new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
  writeFileSync(
    join(dir, `${name}.hdr`),
    [
      'ENVI',
      `samples = ${shape.width}`,
      `lines = ${shape.height}`,
      `bands = ${shape.bands}`,
      'header offset = 0',
      'file type = ENVI Standard',
      `data type = ${ENVI_CODES[shape.type]}`,
      'interleave = bsq',
      'byte order = 0',
      '',
    ].join('\n'),
  );
  return data;
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32): reproducible test rasters. */
export function randomSequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
