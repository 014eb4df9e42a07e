import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { Span } from '@opentelemetry/api';
import { buildApiServer } from '../../src/api/server';
import { postAlert } from '../../src/store/alert-webhook';
import { createApiKey } from '../../src/store/db/api-keys';
import type { Database } from '../../src/store/db/database';
import { createLogger } from '../../src/telemetry/logger';
import { failSpan } from '../../src/telemetry/spans';
import { runCli } from '../helpers/cli';
import { keepOutput, registerSecret, SENTINELS } from '../helpers/secrets';
import { REPO_ROOT, testTemporal } from '../helpers/services';
import { type SecurityStore, securityStore } from './security-store';

/**
 * Secrets never logged: the places where a secret is most likely to slip into output — a
 * configuration error quoting a setting, a service that does not answer, `status`, a worker that
 * fails to start, the API's request log, the JSON logs — run here with sentinel secrets planted,
 * and their whole output searched for them. Every output is also kept for the run-wide check
 * (test/setup/secret-leak-check.ts), which searches every captured log of the run.
 */

const PASSWORD = 'sentinel-url-password-5e9a1c77';
const WEBHOOK = `https://hooks.example.com/services/T0001/B0001/${SENTINELS.webhookToken}`;
const AWS_SECRET = SENTINELS.awsSecretAccessKey;
const TEMPORAL_KEY = SENTINELS.temporalApiKey;
for (const [name, value] of [
  ['sentinel URL password', PASSWORD],
  ['alert webhook token', SENTINELS.webhookToken],
  ['AWS secret access key', AWS_SECRET],
  ['Temporal API key', TEMPORAL_KEY],
]) {
  registerSecret(`${name} (sentinel)`, value);
}

/** Fails naming the sentinel found, without printing the output that holds it. */
function assertNoSecret(output: string, what: string): void {
  for (const [name, value] of Object.entries({
    PASSWORD,
    WEBHOOK_TOKEN: SENTINELS.webhookToken,
    AWS_SECRET,
    TEMPORAL_KEY,
    DATABASE_SENTINEL: SENTINELS.databasePassword,
  })) {
    assert.ok(!output.includes(value), `${what}: its output holds the ${name} sentinel`);
  }
}

describe('secrets stay out of output and logs', function () {
  this.timeout(120_000);
  let store: SecurityStore;

  before(async () => {
    store = await securityStore();
  });

  const cliCases: Array<{
    name: string;
    args: string[];
    env: () => Record<string, string>;
    shows: RegExp;
  }> = [
    {
      name: 'a DATABASE_URL that is no URL',
      args: ['db', 'status'],
      env: () => ({ DATABASE_URL: `postgres://pipeline:${PASSWORD}@db.internal:port/agri` }),
      shows: /DATABASE_URL=<not shown: it looks like it holds a password> is not a URL/,
    },
    {
      name: 'a DATABASE_URL of another scheme',
      args: ['db', 'status'],
      env: () => ({ DATABASE_URL: `mysql://pipeline:${PASSWORD}@db.internal/agri` }),
      shows: /DATABASE_URL=mysql:\/\/pipeline:\*\*\*@db\.internal\/agri has an unsupported scheme/,
    },
    {
      name: 'a database that does not answer',
      args: ['parcels', 'list', '--source', 'src-a'],
      env: () => ({ DATABASE_URL: `postgres://pipeline:${PASSWORD}@127.0.0.1:1/agri` }),
      shows: /DATABASE_URL=postgres:\/\/pipeline:\*\*\*@127\.0\.0\.1:1\/agri is unreachable/,
    },
    {
      name: 'an alert webhook of the wrong scheme',
      args: ['db', 'status'],
      env: () => ({ PARCELWATCH_ALERT_WEBHOOK_URL: WEBHOOK.replace('https:', 'ftp:') }),
      shows:
        /PARCELWATCH_ALERT_WEBHOOK_URL=ftp:\/\/hooks\.example\.com\/… has an unsupported scheme/,
    },
    {
      name: '`status` with a Temporal API key and a database password',
      args: ['status', '--json'],
      env: () => ({
        ...store.env,
        DATABASE_URL: withPassword(store.env.DATABASE_URL!),
        TEMPORAL_API_KEY: TEMPORAL_KEY,
        TEMPORAL_TLS: 'false',
        AWS_SECRET_ACCESS_KEY: AWS_SECRET,
        PARCELWATCH_ALERT_WEBHOOK_URL: WEBHOOK,
      }),
      shows: /"temporal"/,
    },
  ];

  for (const c of cliCases) {
    it(`keeps secrets out of the output of ${c.name}`, async () => {
      const result = await runCli(c.args, c.env());
      assert.match(`${result.stdout}${result.stderr}`, c.shows);
      assertNoSecret(`${result.stdout}${result.stderr}`, c.name);
    });
  }

  it('keeps secrets out of the logs of a worker that cannot reach its S3 datalake', async () => {
    const temporal = await testTemporal();
    const result = await runCli(['worker'], {
      ...store.env,
      DATABASE_URL: withPassword(store.env.DATABASE_URL!),
      TEMPORAL_ADDRESS: temporal.address,
      DATALAKE_URL: 's3://parcelwatch-secret-check/lake',
      S3_ENDPOINT: 'http://127.0.0.1:1',
      AWS_ACCESS_KEY_ID: 'AKIASECRETCHECK',
      AWS_SECRET_ACCESS_KEY: AWS_SECRET,
      AWS_EC2_METADATA_DISABLED: 'true',
      PARCELWATCH_ALERT_WEBHOOK_URL: WEBHOOK,
      PARCELWATCH_LOG_LEVEL: 'DEBUG',
    });
    assert.notEqual(result.code, 0, 'the worker stops');
    assert.match(result.stderr, /datalake s3:\/\/parcelwatch-secret-check\/lake: cannot list/);
    assertNoSecret(`${result.stdout}${result.stderr}`, 'the worker');
  });

  it("keeps the key and the database password out of the API's request log", async () => {
    const { key } = await createApiKey(store.db, {
      name: 'secret-check',
      team: 'team-a',
      scopes: ['read'],
    });
    registerSecret('API key of the secret check', key);
    const server = spawn(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        path.join(REPO_ROOT, 'src/cli/main.ts'),
        'api',
        'serve',
        '--port',
        '0',
      ],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          ...store.env,
          DATABASE_URL: withPassword(store.env.DATABASE_URL!),
          PARCELWATCH_ALERT_WEBHOOK_URL: WEBHOOK,
        },
      },
    );
    const output = collect(server);
    try {
      const address = await listening(server, output);
      for (const [url, headers] of [
        ['/v1/parcels?limit=1', { authorization: `Bearer ${key}` }],
        ['/v1/parcels?limit=1', { 'x-api-key': key }],
        ['/v1/parcels/nope', { authorization: `Bearer ${key}` }],
        ['/v1/runs', { authorization: `Bearer ${key}x` }],
      ] as const) {
        await (await fetch(`${address}${url}`, { headers })).arrayBuffer();
      }
    } finally {
      server.kill('SIGTERM');
      await once(server, 'close');
      keepOutput('api serve (secret check)', output.text);
    }
    assert.match(output.text, /"url":"\/v1\/parcels\?limit=1"/, 'requests were logged');
    assert.ok(!output.text.includes(key), 'the API key is not in the request log');
    assertNoSecret(output.text, 'the API');
  });

  it("redacts secrets from the API's logged errors, wherever they are quoted", async () => {
    const { key } = await createApiKey(store.db, {
      name: 'log-check',
      team: 'team-a',
      scopes: ['read'],
    });
    registerSecret('API key of the log check', key);
    const lines: string[] = [];
    const failing = {
      ...store.db,
      pool: {
        query: async () => {
          throw new Error(
            `connect to postgres://pipeline:${PASSWORD}@db.internal/agri failed; S3 secret ${processSecret()}`,
          );
        },
      },
    } as unknown as Database;
    const app = await buildApiServer({
      db: failing,
      config: { bodyLimitBytes: 1024, rateLimitBurst: 10, rateLimitPerMinute: 10 },
      webRoot: null,
      logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } },
    });
    try {
      const response = await app.inject({
        method: 'GET',
        url: '/v1/runs',
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(response.statusCode, 500);
    } finally {
      await app.close();
    }
    const logged = lines.join('');
    keepOutput('api error log (secret check)', logged);
    assert.match(logged, /postgres:\/\/pipeline:\[REDACTED\]@db\.internal\/agri failed/);
    assertNoSecret(logged, "the API's error log");
    assert.ok(!logged.includes(processSecret()), "the log holds the process's AWS secret");
  });

  it('redacts the webhook URL, TLS key data and OTLP headers from JSON logs', () => {
    const lines: string[] = [];
    const keyData = `-----BEGIN PRIVATE KEY-----\\nMIIE${TEMPORAL_KEY}\\n-----END PRIVATE KEY-----`;
    const log = createLogger({
      env: {
        PARCELWATCH_ALERT_WEBHOOK_URL: WEBHOOK,
        TEMPORAL_TLS_CLIENT_KEY_DATA: keyData,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${AWS_SECRET}`,
      },
      write: (line) => lines.push(line),
    });
    log.warn(`alert to ${WEBHOOK} failed`, { detail: keyData, header: `Bearer ${AWS_SECRET}` });
    log.error('worker stopped', { error: new Error(`POST ${WEBHOOK}: 500`) });
    keepOutput('json logger (secret check)', lines.join('\n'));
    assert.equal(lines.length, 2);
    assertNoSecret(lines.join('\n'), 'the JSON logger');
    assert.ok(!lines.join('').includes('MIIE'), 'the key data is redacted whole');
  });

  it('redacts secrets from the error a failed span carries to the trace backend', () => {
    const recorded: unknown[] = [];
    const span = {
      setAttribute: (...args: unknown[]) => recorded.push(args),
      setStatus: (status: unknown) => recorded.push(status),
      recordException: (exception: unknown) => recorded.push(exception),
    } as unknown as Span;
    failSpan(
      span,
      new Error(`GET s3 with ${processSecret()} via postgres://u:${PASSWORD}@db/agri`),
    );
    const text = JSON.stringify(recorded);
    assert.match(text, /\[REDACTED\]/);
    assertNoSecret(text, 'the span');
    assert.ok(!text.includes(processSecret()), "the span holds the process's AWS secret");
  });

  it('says which webhook failed without its token', async () => {
    const error = await postAlert(
      WEBHOOK.replace('https://hooks.example.com', 'http://127.0.0.1:1'),
      {
        text: 'test',
      },
    ).then(
      () => assert.fail('the alert was delivered'),
      (e: Error) => e,
    );
    assert.match(error.message, /alert webhook http:\/\/127\.0\.0\.1:1\/… unreachable/);
    assertNoSecret(error.message, 'the webhook error');
  });
});

/**
 * The AWS secret of this process's environment: the sentinel the run planted, or the developer's
 * own (never printed; redaction must hide whichever it is).
 */
function processSecret(): string {
  const secret = process.env.AWS_SECRET_ACCESS_KEY;
  assert.ok(secret, 'test/setup/secret-leak-check.ts sets AWS_SECRET_ACCESS_KEY');
  return secret;
}

/** The URL with the sentinel password (the test server trusts local connections). */
function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = PASSWORD;
  return parsed.toString();
}

function collect(child: ChildProcess): { text: string } {
  const output = { text: '' };
  child.stdout?.on('data', (chunk) => {
    output.text += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output.text += chunk;
  });
  return output;
}

async function listening(child: ChildProcess, output: { text: string }): Promise<string> {
  for (let waited = 0; waited < 60_000; waited += 50) {
    const match = /listening on (http:\/\/\S+) /.exec(output.text);
    if (match) return match[1]!;
    if (child.exitCode !== null) throw new Error(`api serve exited: ${output.text.slice(-500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('api serve did not start within a minute');
}
