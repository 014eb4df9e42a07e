/**
 * Keeps secrets out of logs. Three nets: the values of secret-looking variables of the
 * environment (TEMPORAL_API_KEY, AWS_SECRET_ACCESS_KEY, OTLP header values, …) wherever they
 * appear; the password of any `scheme://user:password@host` URL; and whole fields whose name says
 * they hold a secret (`password`, `token`, `apiKey`, `authorization`, …).
 */
import type { EnvRecord } from '../env';

export const REDACTED = '[REDACTED]';

/** Variables whose value is a secret as a whole. */
const SECRET_VARIABLE = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIAL)/i;
/** Variables holding `key=value` lists whose values are often credentials (OTLP headers). */
const HEADER_VARIABLE = /_HEADERS$/i;
/** Field names whose value is a secret, whatever it looks like. */
const SECRET_FIELD =
  /(password|passwd|secret|token|api[-_]?key|authorization|credential|cookie|private[-_]?key)/i;
/** `scheme://user:password@`: the password part (no `/`, `@` or whitespace in it). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@/\s]+)@/gi;
/** Shorter values would blank out ordinary words; URL and field rules still catch them. */
const MIN_SECRET_LENGTH = 6;

export interface Redactor {
  /** The text with every secret replaced by [REDACTED]. */
  text(value: string): string;
  /** Whether a field of this name must never be shown. */
  isSecretField(name: string): boolean;
}

/** A redactor knowing the secrets of `env` (by default the process's own environment). */
export function createRedactor(env: EnvRecord = process.env): Redactor {
  const secrets = new Set<string>();
  const add = (value: string | undefined) => {
    if (value === undefined) return;
    for (const form of [value, safeDecode(value), encodeURIComponent(value)]) {
      if (form.length >= MIN_SECRET_LENGTH) secrets.add(form);
    }
  };
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_VARIABLE.test(name)) add(value);
    if (HEADER_VARIABLE.test(name)) {
      for (const pair of value.split(',')) add(pair.slice(pair.indexOf('=') + 1).trim());
    }
    for (const match of value.matchAll(URL_PASSWORD)) add(match[2]);
  }
  // Longest first, so a secret containing another is replaced whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return {
    text(value: string): string {
      let out = value.replace(URL_PASSWORD, `$1${REDACTED}@`);
      for (const secret of ordered) {
        if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      }
      return out;
    },
    isSecretField: (name) => SECRET_FIELD.test(name),
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
