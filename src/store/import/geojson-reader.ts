import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import Assembler from 'stream-json/Assembler';
import { parser as jsonParser } from 'stream-json/Parser';
import { BadInputError } from '../../core/errors';
import { type Crs, resolveCrs } from '../../core/geo/crs';
import type { FeatureReader, ReaderOptions, SourceFeature } from './feature-reader';
import { MAX_PARCEL_VERTICES } from './prepare-feature';
import { strictUtf8 } from './utf8-text';

/**
 * A GeoJSON FeatureCollection read as a stream (stream-json tokens, one feature assembled at a
 * time), so a file of any size needs memory for a few hundred features only. The legacy `crs`
 * member (GeoJSON 2008) is honoured when it precedes the features, `--srs` overrides it, and
 * RFC 7946's WGS 84 applies otherwise.
 */

/** Features parsed ahead of the importer before the file stream is paused. */
const QUEUE_HIGH_WATER = 256;

/**
 * Numbers one feature may hold: every vertex of the largest parcel with four ordinates (XYZM),
 * plus room for numeric attributes. A feature beyond it is rejected while it streams past, never
 * assembled, so a single huge polygon cannot take the memory the streaming read saves.
 */
export const MAX_FEATURE_NUMBERS = 4 * MAX_PARCEL_VERTICES + 10_000;

interface Token {
  name: string;
  value?: string;
}

type State =
  | { kind: 'top' }
  | { kind: 'value'; key: string }
  | { kind: 'assemble'; key: string; assembler: Assembler }
  | { kind: 'features' }
  | { kind: 'feature'; assembler: Assembler; numbers: number }
  | { kind: 'oversized'; depth: number; partial: unknown }
  | { kind: 'end' };

/** Opens a GeoJSON file and reads up to its first feature (to learn its CRS and fields). */
export async function openGeoJson(
  file: string,
  options: ReaderOptions = {},
): Promise<FeatureReader> {
  const name = path.basename(file);
  const size = (await stat(file)).size;
  const stream: ReadStream = createReadStream(file, { highWaterMark: 256 * 1024 });
  const parser = jsonParser({ packValues: true, streamValues: false });

  const queue: SourceFeature[] = [];
  let head = 0;
  let rows = 0;
  let finished = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let declaredCrs: string | undefined;
  let crsAfterFeatures: string | undefined;
  let sawFeatures = false;
  let topType: unknown;
  let state: State = { kind: 'top' };
  let depth = 0;

  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (error: Error) => {
    failure ??= error;
    stream.destroy();
    signal();
  };
  const notCollection = (what: string) =>
    new BadInputError(
      `${name} is not a GeoJSON FeatureCollection (${what}); give a file whose top level is {"type": "FeatureCollection", "features": [...]}`,
      { code: 'PARCELS_NOT_FEATURE_COLLECTION' },
    );

  const topValue = (key: string, value: unknown) => {
    if (key === 'type') topType = value;
    if (key === 'crs') {
      const crsName = legacyCrsName(value);
      if (crsName === undefined) return;
      if (sawFeatures) crsAfterFeatures = crsName;
      else declaredCrs = crsName;
    }
  };

  const enqueue = (feature: SourceFeature) => {
    queue.push(feature);
    if (queue.length - head >= QUEUE_HIGH_WATER) parser.pause();
    signal();
  };

  const onToken = (token: Token) => {
    switch (state.kind) {
      case 'top':
        if (depth === 0) {
          if (token.name !== 'startObject') throw notCollection('its top level is not an object');
          depth = 1;
        } else if (token.name === 'keyValue') {
          state = { kind: 'value', key: token.value ?? '' };
        } else if (token.name === 'endObject') {
          depth = 0;
          state = { kind: 'end' };
        }
        return;
      case 'value': {
        const key = state.key;
        if (key === 'features' && token.name === 'startArray') {
          if (topType !== undefined && topType !== 'FeatureCollection')
            throw notCollection(`its type is ${JSON.stringify(topType)}`);
          sawFeatures = true;
          state = { kind: 'features' };
        } else if (token.name === 'startObject' || token.name === 'startArray') {
          const assembler = new Assembler();
          assembler.consume(token);
          state = { kind: 'assemble', key, assembler };
        } else {
          topValue(key, scalar(token));
          state = { kind: 'top' };
        }
        return;
      }
      case 'assemble':
        state.assembler.consume(token);
        if (state.assembler.done) {
          topValue(state.key, state.assembler.current);
          state = { kind: 'top' };
        }
        return;
      case 'features':
        if (token.name === 'endArray') {
          state = { kind: 'top' };
        } else if (token.name === 'startObject') {
          const assembler = new Assembler();
          assembler.consume(token);
          state = { kind: 'feature', assembler, numbers: 0 };
        } else {
          rows++;
          queue.push(notAFeature(rows, `a ${token.name.replace(/Value$/, '')}`));
        }
        return;
      case 'feature':
        if (token.name === 'numberValue' && ++state.numbers > MAX_FEATURE_NUMBERS) {
          // Drop what was assembled and let the rest of the feature stream past.
          // The feature object as far as assembled: its id and properties, when they came first.
          const { assembler } = state;
          const partial = assembler.stack.length > 0 ? assembler.stack[0] : assembler.current;
          state = { kind: 'oversized', depth: assembler.depth, partial };
          return;
        }
        state.assembler.consume(token);
        if (state.assembler.done) {
          rows++;
          enqueue(toSourceFeature(rows, state.assembler.current));
          state = { kind: 'features' };
        }
        return;
      case 'oversized':
        if (token.name === 'startObject' || token.name === 'startArray') state.depth++;
        else if (token.name === 'endObject' || token.name === 'endArray') state.depth--;
        if (state.depth === 0) {
          rows++;
          enqueue(oversizedFeature(rows, state.partial));
          state = { kind: 'features' };
        }
        return;
      case 'end':
        return;
    }
  };

  parser.on('data', (token: Token) => {
    try {
      onToken(token);
    } catch (error) {
      fail(error as Error);
    }
  });
  parser.on('error', (error: Error) =>
    fail(
      new BadInputError(
        `${name} is not valid JSON after feature row ${rows} (${error.message}); check the file is complete and well-formed (e.g. with \`ogrinfo -so ${name}\`)`,
        { code: 'PARCELS_JSON_INVALID', cause: error },
      ),
    ),
  );
  parser.on('end', () => {
    finished = true;
    signal();
  });
  stream.on('error', (error) =>
    fail(
      new BadInputError(`${name} cannot be read (${error.message})`, {
        code: 'PARCELS_FILE_UNREADABLE',
        cause: error,
      }),
    ),
  );
  const text = strictUtf8(name);
  text.on('error', (error: Error) => fail(error));
  stream.pipe(text).pipe(parser);

  // Read up to the first feature, so the CRS member before it and the first properties are known.
  while (queue.length === 0 && !finished && !failure) await new Promise<void>((r) => (wake = r));
  if (failure) throw failure;
  if (!sawFeatures && topType !== 'FeatureCollection')
    throw notCollection(
      topType === undefined ? 'no "type" member' : `its type is ${JSON.stringify(topType)}`,
    );
  if (!sawFeatures) throw notCollection('no "features" array');

  const crs: Crs = resolveCrs(options.srs ?? declaredCrs ?? 4326);
  const first = queue[0];

  async function* features(): AsyncGenerator<SourceFeature> {
    for (;;) {
      while (head < queue.length) {
        const feature = queue[head];
        queue[head++] = undefined as unknown as SourceFeature;
        if (head > QUEUE_HIGH_WATER && head === queue.length) {
          queue.length = 0;
          head = 0;
        }
        yield feature;
      }
      if (failure) throw failure;
      if (finished) break;
      if (parser.isPaused()) parser.resume();
      await new Promise<void>((r) => (wake = r));
    }
    if (crsAfterFeatures !== undefined && options.srs === undefined) {
      const late = resolveCrs(crsAfterFeatures);
      if (late.proj4 !== crs.proj4) {
        throw new BadInputError(
          `${name}: the "crs" member (${crsAfterFeatures}) comes after the features, which were therefore read as WGS 84; pass --srs ${late.id} (or move "crs" before "features")`,
          { code: 'PARCELS_CRS_LATE' },
        );
      }
    }
  }

  return {
    format: 'geojson',
    describe: name,
    layer: undefined,
    crs,
    crsOrigin:
      options.srs !== undefined ? 'option' : declaredCrs !== undefined ? 'file' : 'default',
    fields: first ? Object.keys(first.properties) : [],
    featureIdName: first?.featureId !== undefined ? 'id' : undefined,
    features,
    progress: () => ({ done: Math.min(stream.bytesRead, size), total: size, unit: 'bytes' }),
    close: async () => {
      stream.destroy();
      text.destroy();
      parser.destroy();
    },
  };
}

/** The CRS name of a GeoJSON 2008 `crs` member (`name` or old `EPSG` form); undefined otherwise. */
function legacyCrsName(value: unknown): string | undefined {
  const crs = value as { type?: unknown; properties?: { name?: unknown; code?: unknown } } | null;
  const props = crs?.properties;
  if (typeof props?.name === 'string') return props.name;
  if (crs?.type === 'EPSG' && (typeof props?.code === 'number' || typeof props?.code === 'string'))
    return `EPSG:${props.code}`;
  return undefined;
}

function scalar(token: Token): unknown {
  switch (token.name) {
    case 'stringValue':
      return token.value;
    case 'numberValue':
      return Number(token.value);
    case 'trueValue':
      return true;
    case 'falseValue':
      return false;
    default:
      return null;
  }
}

function notAFeature(row: number, what: string): SourceFeature {
  return {
    row,
    featureId: undefined,
    properties: {},
    geometry: null,
    problem: `is ${what}, not a GeoJSON Feature object`,
  };
}

function oversizedFeature(row: number, partial: unknown): SourceFeature {
  const { featureId, properties } = toSourceFeature(row, {
    ...(partial as object),
    type: 'Feature',
  });
  return {
    row,
    featureId,
    properties,
    geometry: null,
    problem: `holds more than ${MAX_FEATURE_NUMBERS.toLocaleString('en')} numbers, more than a parcel of at most ${MAX_PARCEL_VERTICES.toLocaleString('en')} vertices and its attributes can; simplify it (e.g. \`ogr2ogr -simplify 0.5\`) or check how it was made`,
  };
}

function toSourceFeature(row: number, value: unknown): SourceFeature {
  const feature = value as {
    type?: unknown;
    id?: unknown;
    properties?: unknown;
    geometry?: unknown;
  };
  if (feature.type !== 'Feature') {
    return notAFeature(row, `an object of type ${JSON.stringify(feature.type ?? null)}`);
  }
  const props = feature.properties;
  return {
    row,
    featureId:
      typeof feature.id === 'string' || typeof feature.id === 'number'
        ? String(feature.id)
        : undefined,
    properties:
      props !== null && typeof props === 'object' && !Array.isArray(props)
        ? (props as Record<string, unknown>)
        : {},
    geometry: feature.geometry ?? null,
  };
}
