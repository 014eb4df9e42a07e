/**
 * The telemetry of this process, apart from the SDK: code that only needs to know whether tracing
 * is on (worker and client wiring) imports this, not the OpenTelemetry SDK.
 */
import type { Telemetry } from './setup';

let current: Telemetry | undefined;

/** The telemetry set up in this process and not shut down yet, if any. */
export function currentTelemetry(): Telemetry | undefined {
  return current;
}

/** For `setupTelemetry` and its handle's `shutdown`. */
export function setCurrentTelemetry(telemetry: Telemetry | undefined): void {
  current = telemetry;
}
