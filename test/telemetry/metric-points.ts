/** Reading an in-memory metric export in tests: the last collection, one metric's points. */
import type { Attributes } from '@opentelemetry/api';
import type {
  DataPoint,
  Histogram,
  InMemoryMetricExporter,
  MetricData,
} from '@opentelemetry/sdk-metrics';

/** Every metric of the exporter's last collection (cumulative: the totals so far). */
export function lastCollection(exporter: InMemoryMetricExporter): MetricData[] {
  const last = exporter.getMetrics().at(-1);
  return last ? last.scopeMetrics.flatMap((scope) => scope.metrics) : [];
}

export function metric(exporter: InMemoryMetricExporter, name: string): MetricData | undefined {
  return lastCollection(exporter).find((m) => m.descriptor.name === name);
}

/** The sum of a counter's points whose attributes include `where` (0 when there is none). */
export function counterTotal(
  exporter: InMemoryMetricExporter,
  name: string,
  where: Attributes = {},
): number {
  const points = (metric(exporter, name)?.dataPoints ?? []) as Array<DataPoint<number>>;
  return points
    .filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value, 0);
}

/** A counter's points as `attribute values → total`, for comparing with a breakdown. */
export function counterBreakdown(
  exporter: InMemoryMetricExporter,
  name: string,
  keys: string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of (metric(exporter, name)?.dataPoints ?? []) as Array<DataPoint<number>>) {
    const key = keys.map((k) => String(p.attributes[k])).join('|');
    out[key] = (out[key] ?? 0) + p.value;
  }
  return out;
}

/** A histogram's points merged over attributes: count, sum, and counts per bucket. */
export function histogramTotals(
  exporter: InMemoryMetricExporter,
  name: string,
): { count: number; sum: number; boundaries: number[]; counts: number[] } {
  const points = (metric(exporter, name)?.dataPoints ?? []) as Array<DataPoint<Histogram>>;
  const boundaries = points[0]?.value.buckets.boundaries ?? [];
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  let count = 0;
  let sum = 0;
  for (const p of points) {
    count += p.value.count;
    sum += p.value.sum ?? 0;
    p.value.buckets.counts.forEach((n, i) => {
      counts[i]! += n;
    });
  }
  return { count, sum, boundaries, counts };
}
