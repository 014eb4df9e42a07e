/**
 * Metrics and spans around the activities, without touching their code: outcomes read from what
 * an activity returns (scenes found, parcels computed, scene outcomes), failures counted by
 * activity and error type, and every byte the activities read or write counted and traced at
 * their dependencies (provider sources, datalake).
 */
import { SpanKind } from '@opentelemetry/api';
import type { ComputeResult, SceneOutcomeInput, SearchScenesResult } from '../activities/contracts';
import type { ActivityDeps } from '../activities/deps';
import type { ByteSource } from '../core/raster/source';
import type { Datalake } from '../store/datalake/datalake';
import {
  ATTRIBUTES,
  countActivityFailure,
  countBytesRead,
  countBytesWritten,
  countParcelsComputed,
  countSceneOutcome,
  countScenesFound,
  countScenesSkipped,
  type IoStore,
} from './instruments';
import { errorType, inSpan } from './spans';

/** What each activity's success says about the run, read from its input and result. */
const OUTCOMES: Record<string, (input: unknown, result: unknown) => void> = {
  searchScenes: (_input, result) => {
    const found = result as SearchScenesResult;
    countScenesFound(found.scenes.length);
    countScenesSkipped(found.skipped.length);
  },
  computeIndices: (_input, result) => countParcelsComputed((result as ComputeResult).parcels),
  recordSceneOutcome: (input) => countSceneOutcome((input as SceneOutcomeInput).status),
};

/** Wraps one activity: its outcome metrics on success, a failure count (by error type) otherwise. */
export function measuredActivity<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  const outcome = OUTCOMES[name];
  return async (...args: A) => {
    let result: R;
    try {
      result = await fn(...args);
    } catch (error) {
      countActivityFailure(name, errorType(error));
      throw error;
    }
    outcome?.(args[0], result);
    return result;
  };
}

/** The dependencies, with provider reads and datalake reads and writes counted and traced. */
export function measuredDeps(deps: ActivityDeps): ActivityDeps {
  return {
    ...deps,
    openSource: (href) => measuredSource(deps.openSource(href), 'provider'),
    datalake: measuredDatalake(deps.datalake),
  };
}

type ClosableSource = ByteSource & { close(): Promise<void> };

/** A byte source whose every range read is a span (`COG range read`) and counts its bytes. */
export function measuredSource(source: ClosableSource, store: IoStore): ClosableSource {
  return {
    url: source.url,
    fetch: (offset, length, options) =>
      inSpan(
        'COG range read',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'url.full': withoutQuery(source.url),
            [ATTRIBUTES.store]: store,
            'parcelwatch.range.offset': offset,
            'parcelwatch.range.length': length,
          },
        },
        async (span) => {
          const bytes = await source.fetch(offset, length, options);
          span.setAttribute('parcelwatch.range.bytes', bytes.byteLength);
          countBytesRead(bytes.byteLength, store);
          return bytes;
        },
      ),
    ...(source.size ? { size: () => source.size!() } : {}),
    close: () => source.close(),
  };
}

function measuredDatalake(lake: Datalake): Datalake {
  const attributes = (key: string) => ({
    [ATTRIBUTES.store]: 'datalake',
    'parcelwatch.datalake.key': key,
  });
  return {
    get url() {
      return lake.url;
    },
    put: (key, bytes) =>
      inSpan('datalake put', { attributes: attributes(key) }, async (span) => {
        span.setAttribute('parcelwatch.bytes', bytes.byteLength);
        await lake.put(key, bytes);
        countBytesWritten(bytes.byteLength, 'datalake');
      }),
    get: (key) =>
      inSpan('datalake get', { attributes: attributes(key) }, async (span) => {
        const bytes = await lake.get(key);
        span.setAttribute('parcelwatch.bytes', bytes.byteLength);
        countBytesRead(bytes.byteLength, 'datalake');
        return bytes;
      }),
    source: (key) => measuredSource(lake.source(key), 'datalake'),
    exists: (key) => lake.exists(key),
    size: (key) => lake.size(key),
    list: (prefix) => lake.list(prefix),
    delete: (keys) => lake.delete(keys),
  };
}

/** Signed URLs carry credentials in their query: never in a span. */
function withoutQuery(url: string): string {
  const at = url.search(/[?#]/);
  return at < 0 ? url : url.slice(0, at);
}
