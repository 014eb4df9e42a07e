/**
 * Fault injection for resilience tests: answer some requests with 429 or 5xx, delay them, or
 * fail the next N. Deterministic: rates draw from a seeded generator, reset on every `set`, so a
 * test sees the same sequence of faults on every run.
 */
export interface FaultSettings {
  /** Share (0..1) of matching requests answered 429 Too Many Requests. */
  status429Rate?: number;
  /** Share (0..1) of matching requests answered with `status5xx`. */
  status5xxRate?: number;
  /** @default 503 */
  status5xx?: number;
  /** Retry-After sent with injected 429 and 5xx answers. @default 1 */
  retryAfterSeconds?: number;
  /** Delay added before answering every matching request. */
  slowMs?: number;
  /** Regular expression tested against the request path; default: every path but /_admin. */
  pathPattern?: string;
  /** Fail the next `count` matching requests with `status` (default 429), before any rate applies. */
  failNext?: number | { count: number; status?: number; pathPattern?: string };
  /** Seed of the rates' generator. @default 1 */
  seed?: number;
}

export interface FaultDecision {
  delayMs: number;
  /** Status to answer with instead of serving, if any. */
  status?: number;
  retryAfterSeconds?: number;
}

export class FaultSettingsError extends Error {}

const DEFAULT_5XX = 503;
const DEFAULT_RETRY_AFTER_SECONDS = 1;

function rate(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw new FaultSettingsError(`${name} must be a number in [0, 1]`);
  return value;
}

function pattern(value: unknown, name: string): RegExp | null {
  if (value === undefined) return null;
  if (typeof value !== 'string')
    throw new FaultSettingsError(`${name} must be a regular expression string`);
  try {
    return new RegExp(value);
  } catch {
    throw new FaultSettingsError(
      `${name} ${JSON.stringify(value)} is not a valid regular expression`,
    );
  }
}

function status(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 400 || (value as number) > 599) {
    throw new FaultSettingsError(`${name} must be an HTTP error status (400..599)`);
  }
  return value as number;
}

/** mulberry32: small and deterministic. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private current: FaultSettings = {};
  private random = generator(1);
  private failNextLeft = 0;
  /** Faults injected since the last `set` or `clear`. */
  injected = 0;

  /** Replaces the settings (validated) and restarts the deterministic sequence. */
  set(settings: FaultSettings): void {
    if (typeof settings !== 'object' || settings === null)
      throw new FaultSettingsError('fault settings must be an object');
    const known = new Set([
      'status429Rate',
      'status5xxRate',
      'status5xx',
      'retryAfterSeconds',
      'slowMs',
      'pathPattern',
      'failNext',
      'seed',
    ]);
    const unknown = Object.keys(settings).filter((k) => !known.has(k));
    if (unknown.length)
      throw new FaultSettingsError(`unknown fault setting(s): ${unknown.join(', ')}`);
    const r429 = rate(settings.status429Rate, 'status429Rate');
    const r5xx = rate(settings.status5xxRate, 'status5xxRate');
    if (r429 + r5xx > 1)
      throw new FaultSettingsError('status429Rate + status5xxRate must not exceed 1');
    status(settings.status5xx, DEFAULT_5XX, 'status5xx');
    pattern(settings.pathPattern, 'pathPattern');
    if (
      settings.slowMs !== undefined &&
      !(Number.isFinite(settings.slowMs) && settings.slowMs >= 0)
    ) {
      throw new FaultSettingsError('slowMs must be a non-negative number');
    }
    if (
      settings.retryAfterSeconds !== undefined &&
      !(Number.isInteger(settings.retryAfterSeconds) && settings.retryAfterSeconds >= 0)
    ) {
      throw new FaultSettingsError('retryAfterSeconds must be a non-negative integer');
    }
    const failNext =
      typeof settings.failNext === 'number' ? { count: settings.failNext } : settings.failNext;
    if (failNext !== undefined) {
      if (!Number.isInteger(failNext.count) || failNext.count < 0)
        throw new FaultSettingsError('failNext count must be a non-negative integer');
      status(failNext.status, 429, 'failNext.status');
      pattern(failNext.pathPattern, 'failNext.pathPattern');
    }
    this.current = structuredClone(settings);
    this.random = generator(settings.seed ?? 1);
    this.failNextLeft = failNext?.count ?? 0;
    this.injected = 0;
  }

  clear(): void {
    this.set({});
  }

  /** The settings in force, with the failures of `failNext` still to come. */
  get settings(): FaultSettings & { failNextRemaining: number } {
    return { ...structuredClone(this.current), failNextRemaining: this.failNextLeft };
  }

  /** What to do with one request to `path`. */
  decide(path: string): FaultDecision {
    if (path.startsWith('/_admin')) return { delayMs: 0 };
    const s = this.current;
    const retryAfterSeconds = s.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    const matchesAll = pattern(s.pathPattern, 'pathPattern')?.test(path) ?? true;
    const failNext = typeof s.failNext === 'number' ? { count: s.failNext } : s.failNext;
    const delayMs = matchesAll ? (s.slowMs ?? 0) : 0;
    if (
      this.failNextLeft > 0 &&
      (pattern(failNext?.pathPattern, 'failNext.pathPattern')?.test(path) ?? matchesAll)
    ) {
      this.failNextLeft--;
      this.injected++;
      return { delayMs, status: failNext?.status ?? 429, retryAfterSeconds };
    }
    if (!matchesAll) return { delayMs: 0 };
    const r429 = s.status429Rate ?? 0;
    const r5xx = s.status5xxRate ?? 0;
    if (r429 === 0 && r5xx === 0) return { delayMs };
    const u = this.random();
    if (u < r429) {
      this.injected++;
      return { delayMs, status: 429, retryAfterSeconds };
    }
    if (u < r429 + r5xx) {
      this.injected++;
      return { delayMs, status: s.status5xx ?? DEFAULT_5XX, retryAfterSeconds };
    }
    return { delayMs };
  }
}
