import { createRedactor, type Redactor } from '../telemetry/redact';

/**
 * The API's request log (pino, through Fastify) with the secrets of the environment and URL
 * passwords taken out of messages and logged errors, as the CLI's and the worker's JSON logs have
 * them: an error whose message quotes a connection string must not put its password in the log.
 * A pino `logMethod` hook, so request and response objects still go through pino's serializers.
 */
export function redactingHooks(redactor: Redactor = createRedactor()) {
  const error = (e: Error) => ({
    type: e.name,
    message: redactor.text(e.message),
    ...((e as { code?: unknown }).code === undefined
      ? {}
      : { code: (e as { code?: unknown }).code }),
    ...(e.stack ? { stack: redactor.text(e.stack) } : {}),
  });
  const redact = (arg: unknown): unknown => {
    if (typeof arg === 'string') return redactor.text(arg);
    if (arg instanceof Error) return error(arg);
    if (arg && typeof arg === 'object' && 'err' in arg && arg.err instanceof Error) {
      return { ...arg, err: error(arg.err) };
    }
    return arg;
  };
  return {
    logMethod(this: unknown, args: unknown[], method: (...args: unknown[]) => void): void {
      method.apply(this, args.map(redact));
    },
  };
}
