/**
 * Keeps secrets out of logs. Three nets: the values of secret-looking variables of the
 * environment (TEMPORAL_API_KEY, AWS_SECRET_ACCESS_KEY, PGPASSWORD, the alert webhook URL, TLS key
 * data, OTLP header values, …) wherever they appear; the password of any
 * `scheme://user:password@host` URL; and whole fields whose name says they hold a secret
 * (`password`, `token`, `apiKey`, `authorization`, …).
 */
import type { EnvRecord } from '../env';

export const REDACTED = '[REDACTED]';
/** How redactUrl masks a URL's password. */
const MASK = '***';

/**
 * Variables whose value is a secret as a whole. Webhook URLs carry their token in the path (Slack,
 * Teams); `*_KEY_DATA` is a TLS private key given inline (TEMPORAL_TLS_CLIENT_KEY_DATA).
 */
const SECRET_VARIABLE =
  /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIAL|WEBHOOK|KEY_DATA)/i;
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
      // A password already masked (`user:***@`, as redactUrl writes it) stays as it is.
      let out = value.replace(URL_PASSWORD, (match, prefix: string, password: string) =>
        password === MASK || password === REDACTED ? match : `${prefix}${REDACTED}@`,
      );
      for (const secret of ordered) {
        if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      }
      return out;
    },
    isSecretField: (name) => SECRET_FIELD.test(name),
  };
}

let processRedactor: Redactor | undefined;

/** The redactor of the process's own environment (made on first use). */
export function redactSecrets(text: string): string {
  processRedactor ??= createRedactor();
  return processRedactor.text(text);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
