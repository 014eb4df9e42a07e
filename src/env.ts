import { ConfigError } from './core/errors';

/** An environment: variable names to values, `process.env` in production, a plain object in tests. */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

/**
 * Typed getters over an environment that collect every problem instead of stopping at the first,
 * so start-up reports all bad settings at once. Call `assertValid()` after reading.
 */
export class Env {
  private readonly problems: string[] = [];
  /** Every variable name read so far: the configuration surface, for docs and checks. */
  readonly names = new Set<string>();

  constructor(private readonly env: EnvRecord) {}

  /** The raw value, `undefined` when unset or blank. */
  raw(name: string): string | undefined {
    this.names.add(name);
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  required(name: string, hint: string): string {
    const value = this.raw(name);
    if (value === undefined) this.problems.push(`Missing env ${name}: ${hint}`);
    return value ?? '';
  }

  integer(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    return this.numberIn(name, fallback, range, true);
  }

  number(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    return this.numberIn(name, fallback, range, false);
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    this.problems.push(`${name}=${value} is not a boolean; use true or false`);
    return fallback;
  }

  /** A comma-separated list, each item checked by `accept` (which returns an error or undefined). */
  list(name: string, fallback: string[], accept?: (item: string) => string | undefined): string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    for (const item of items) {
      const problem = accept?.(item);
      if (problem) this.problems.push(`${name}: ${problem}`);
    }
    if (items.length === 0) this.problems.push(`${name} is empty; unset it to use the default`);
    return items.length ? items : fallback;
  }

  /**
   * A URL whose scheme is one of `schemes`; the hint says what the variable is for. Messages show
   * it without its secrets (see `shownUrl`).
   */
  url(name: string, fallback: string, schemes: readonly string[], hint: string): string {
    const value = this.raw(name) ?? fallback;
    let scheme: string;
    try {
      scheme = new URL(value).protocol.replace(/:$/, '');
    } catch {
      this.problems.push(`${name}=${shownUrl(name, value)} is not a URL; ${hint}`);
      return value;
    }
    if (!schemes.includes(scheme)) {
      this.problems.push(
        `${name}=${shownUrl(name, value)} has an unsupported scheme "${scheme}:"; use ${schemes.map((s) => `${s}://`).join(' or ')} (${hint})`,
      );
    }
    return value;
  }

  /** Records a problem found by a check the getters cannot express. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one ConfigError listing every problem found, if any. */
  assertValid(): void {
    if (this.problems.length === 0) return;
    throw new ConfigError(
      `Invalid configuration:\n${this.problems.map((p) => `  - ${p}`).join('\n')}`,
      { code: 'CONFIG_INVALID' },
    );
  }

  private numberIn(
    name: string,
    fallback: number,
    { min = -Infinity, max = Infinity }: { min?: number; max?: number },
    integer: boolean,
  ): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    const kind = integer ? 'an integer' : 'a number';
    if (!Number.isFinite(parsed) || (integer && !Number.isInteger(parsed))) {
      this.problems.push(`${name}=${value} is not ${kind}`);
      return fallback;
    }
    if (parsed < min || parsed > max) {
      this.problems.push(`${name}=${value} is out of range; use ${kind} in [${min}, ${max}]`);
      return fallback;
    }
    return parsed;
  }
}

/** Variables whose URL is a secret beyond its host: a webhook's path holds its token. */
const SECRET_URL_VARIABLE = /(WEBHOOK|TOKEN|SECRET|KEY)/i;

/**
 * A URL as configuration errors may show it: the password masked (`user:***@`), and for a variable
 * whose URL is a secret as a whole only the scheme and host. Text that is no URL is shown only
 * when it holds no `:…@` credentials part.
 */
export function shownUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return /:[^@/\s]*@/.test(value) ? '<not shown: it looks like it holds a password>' : value;
  }
  if (SECRET_URL_VARIABLE.test(name)) return `${url.protocol}//${url.host}/…`;
  if (url.password) url.password = '***';
  return url.toString();
}
