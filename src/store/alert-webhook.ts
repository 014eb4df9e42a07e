import { TransientError } from '../core/errors';

/** Slack and Teams both accept this shape (Teams incoming webhooks read `text`). */
export interface AlertPayload {
  text: string;
  [field: string]: unknown;
}

/** A webhook slower than this is treated as down; the activity retries. */
const WEBHOOK_TIMEOUT_MS = 10_000;

/** POSTs an alert as JSON; network errors and non-2xx answers are transient (the activity retries). */
export async function postAlert(url: string, payload: AlertPayload): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
  } catch (error) {
    throw new TransientError(
      `alert webhook ${redact(url)} unreachable: ${(error as Error).message}`,
      { code: 'ALERT_UNREACHABLE', cause: error },
    );
  }
  if (!response.ok) {
    throw new TransientError(`alert webhook ${redact(url)} answered HTTP ${response.status}`, {
      code: `ALERT_HTTP_${response.status}`,
    });
  }
}

/** Webhook URLs carry their secret in the path: only the host is shown. */
export function redact(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '<webhook>';
  }
}
