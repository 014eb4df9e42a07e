/**
 * The standard OpenTelemetry environment variables (OTEL_*), read into plain settings: which
 * signals are exported where, with which headers, sampler and intervals. Nothing else configures
 * telemetry, so a collector set up for any OpenTelemetry service works for parcelwatch unchanged.
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 */
import { ConfigError } from '../core/errors';
import type { EnvRecord } from '../env';
import { environmentLabel } from '../environment';

/** The OTLP exporter's default per-export timeout (spec). */
const DEFAULT_EXPORT_TIMEOUT_MS = 10_000;
/** The spec's default metric export interval: one point a minute per series. */
const DEFAULT_METRIC_INTERVAL_MS = 60_000;
/** The spec's default metric export timeout. */
const DEFAULT_METRIC_TIMEOUT_MS = 30_000;

export type SamplerKind =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface SamplerSettings {
  kind: SamplerKind;
  /** For the ratio samplers, in [0, 1]. */
  ratio: number;
}

/** Where one signal goes over OTLP/HTTP. */
export interface OtlpSignal {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'gzip' | 'none';
}

export interface TraceSettings extends OtlpSignal {
  sampler: SamplerSettings;
}

export interface MetricSettings extends OtlpSignal {
  intervalMs: number;
  exportTimeoutMs: number;
  temporality: 'cumulative' | 'delta' | 'lowmemory';
}

export interface TelemetrySettings {
  /** OTEL_SDK_DISABLED=true: nothing at all, whatever else is set. */
  disabled: boolean;
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES, with OTEL_SERVICE_NAME applied. */
  resourceAttributes: Record<string, string>;
  /** Undefined: no trace exporter configured. */
  traces?: TraceSettings;
  /** Undefined: no metric exporter configured. */
  metrics?: MetricSettings;
  /** The sampler, also when the spans go to an exporter given in code (tests). */
  sampler: SamplerSettings;
}

const SAMPLERS: readonly SamplerKind[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/**
 * Reads OTEL_* from `env`. A signal is configured when its exporter is `otlp` (the default) and
 * an endpoint is set (OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT as is, or OTEL_EXPORTER_OTLP_ENDPOINT
 * plus `/v1/<signal>`). Invalid values are all reported at once in one ConfigError.
 */
export function readOtelSettings(
  env: EnvRecord,
  defaults: { serviceName: string },
): TelemetrySettings {
  const problems: string[] = [];
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const disabled = /^true$/i.test(get('OTEL_SDK_DISABLED') ?? '');
  const resourceAttributes = parseKeyValues(
    'OTEL_RESOURCE_ATTRIBUTES',
    get('OTEL_RESOURCE_ATTRIBUTES'),
    problems,
  );
  const serviceName =
    get('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? defaults.serviceName;
  resourceAttributes['service.name'] = serviceName;
  // PARCELWATCH_ENV, unless the operator named the environment in OTEL_RESOURCE_ATTRIBUTES.
  if (!resourceAttributes['deployment.environment']) {
    resourceAttributes['deployment.environment.name'] ??= environmentLabel(env);
  }
  const sampler = readSampler(get, problems);

  const signal = (name: 'traces' | 'metrics'): OtlpSignal | undefined => {
    const upper = name.toUpperCase();
    const exporter = (get(`OTEL_${upper}_EXPORTER`) ?? 'otlp').toLowerCase();
    if (exporter === 'none') return undefined;
    if (exporter !== 'otlp') {
      problems.push(
        `OTEL_${upper}_EXPORTER=${exporter} is not supported; parcelwatch exports over OTLP: use otlp (the default) or none`,
      );
      return undefined;
    }
    const url = signalUrl(get, upper, name, problems);
    if (url === undefined) return undefined;
    const protocolVariable =
      get(`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`) === undefined
        ? 'OTEL_EXPORTER_OTLP_PROTOCOL'
        : `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`;
    const protocol = get(protocolVariable);
    if (protocol !== undefined && !/^http\/(protobuf|json)$/.test(protocol)) {
      problems.push(
        `${protocolVariable}=${protocol}: parcelwatch exports ${name} over OTLP/HTTP only; set http/protobuf and point the endpoint at the collector's OTLP/HTTP port (usually 4318)`,
      );
    }
    return {
      url,
      headers: {
        ...parseKeyValues(
          'OTEL_EXPORTER_OTLP_HEADERS',
          get('OTEL_EXPORTER_OTLP_HEADERS'),
          problems,
        ),
        ...parseKeyValues(
          `OTEL_EXPORTER_OTLP_${upper}_HEADERS`,
          get(`OTEL_EXPORTER_OTLP_${upper}_HEADERS`),
          problems,
        ),
      },
      timeoutMs: milliseconds(
        get,
        [`OTEL_EXPORTER_OTLP_${upper}_TIMEOUT`, 'OTEL_EXPORTER_OTLP_TIMEOUT'],
        DEFAULT_EXPORT_TIMEOUT_MS,
        problems,
      ),
      compression: compression(get, upper, problems),
    };
  };

  const tracesSignal = signal('traces');
  const metricsSignal = signal('metrics');
  const temporality = (
    get('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE') ?? 'cumulative'
  ).toLowerCase();
  if (!['cumulative', 'delta', 'lowmemory'].includes(temporality)) {
    problems.push(
      `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=${temporality} is not one of cumulative, delta, lowmemory`,
    );
  }
  const settings: TelemetrySettings = {
    disabled,
    serviceName,
    resourceAttributes,
    sampler,
    traces: tracesSignal && { ...tracesSignal, sampler },
    metrics: metricsSignal && {
      ...metricsSignal,
      intervalMs: milliseconds(
        get,
        ['OTEL_METRIC_EXPORT_INTERVAL'],
        DEFAULT_METRIC_INTERVAL_MS,
        problems,
      ),
      exportTimeoutMs: milliseconds(
        get,
        ['OTEL_METRIC_EXPORT_TIMEOUT'],
        DEFAULT_METRIC_TIMEOUT_MS,
        problems,
      ),
      temporality: temporality as MetricSettings['temporality'],
    },
  };
  if (disabled) return { ...settings, traces: undefined, metrics: undefined };
  if (problems.length > 0) {
    throw new ConfigError(`OpenTelemetry settings are invalid:\n  - ${problems.join('\n  - ')}`, {
      code: 'OTEL_CONFIG',
    });
  }
  return settings;
}

function signalUrl(
  get: (name: string) => string | undefined,
  upper: string,
  name: string,
  problems: string[],
): string | undefined {
  const specific = get(`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`);
  const base = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const url =
    specific ?? (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/${name}`);
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    problems.push(
      `${specific ? `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT` : 'OTEL_EXPORTER_OTLP_ENDPOINT'}=${specific ?? base} is not an http(s) URL, e.g. http://otel-collector:4318`,
    );
    return undefined;
  }
  return url;
}

function readSampler(
  get: (name: string) => string | undefined,
  problems: string[],
): SamplerSettings {
  const kind = (get('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(kind)) {
    problems.push(`OTEL_TRACES_SAMPLER=${kind} is not one of ${SAMPLERS.join(', ')}`);
    return { kind: 'parentbased_always_on', ratio: 1 };
  }
  const arg = get('OTEL_TRACES_SAMPLER_ARG');
  let ratio = 1;
  if (kind.endsWith('traceidratio') && arg !== undefined) {
    ratio = Number(arg);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
      problems.push(`OTEL_TRACES_SAMPLER_ARG=${arg} is not a ratio between 0 and 1`);
      ratio = 1;
    }
  }
  return { kind: kind as SamplerKind, ratio };
}

function milliseconds(
  get: (name: string) => string | undefined,
  names: string[],
  fallback: number,
  problems: string[],
): number {
  for (const name of names) {
    const value = get(name);
    if (value === undefined) continue;
    const ms = Number(value);
    if (!Number.isInteger(ms) || ms <= 0) {
      problems.push(`${name}=${value} is not a positive number of milliseconds`);
      return fallback;
    }
    return ms;
  }
  return fallback;
}

function compression(
  get: (name: string) => string | undefined,
  upper: string,
  problems: string[],
): 'gzip' | 'none' {
  const name = get(`OTEL_EXPORTER_OTLP_${upper}_COMPRESSION`)
    ? `OTEL_EXPORTER_OTLP_${upper}_COMPRESSION`
    : 'OTEL_EXPORTER_OTLP_COMPRESSION';
  const value = (get(name) ?? 'none').toLowerCase();
  if (value === 'gzip' || value === 'none') return value;
  problems.push(`${name}=${value} is not gzip or none`);
  return 'none';
}

/**
 * `key1=value1,key2=value2` as the spec writes headers and resource attributes, values
 * percent-decoded (W3C Baggage octets).
 */
export function parseKeyValues(
  name: string,
  text: string | undefined,
  problems: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at).trim() : '';
    if (!key) {
      // Never echo the pair: header values are often credentials.
      problems.push(`${name} holds an entry without "key=": write key1=value1,key2=value2`);
      continue;
    }
    const raw = pair.slice(at + 1).trim();
    try {
      out[key] = decodeURIComponent(raw);
    } catch {
      out[key] = raw;
    }
  }
  return out;
}
