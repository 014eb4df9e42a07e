import assert from 'node:assert/strict';
import { createRedactor, REDACTED } from '../../src/telemetry/redact';

const env = {
  DATABASE_URL: 'postgres://pipeline:Pg%2Fpass-2024@db.internal:5432/parcelwatch',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  TEMPORAL_API_KEY: 'tmprl-eyJhbGciOiJFUzI1NiJ9.payload.signature',
  OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20dXNlcjpwYXNz,x-scope=farm-42',
  PARCELWATCH_DB_SCHEMA: 'parcelwatch',
};

describe('log redaction', () => {
  const redactor = createRedactor(env);

  it('hides the password of DATABASE_URL, encoded or decoded, and keeps the rest of the URL', () => {
    const text = redactor.text(`cannot reach ${env.DATABASE_URL}; password Pg/pass-2024 refused`);
    assert.ok(!text.includes('Pg%2Fpass-2024'));
    assert.ok(!text.includes('Pg/pass-2024'));
    assert.ok(text.includes('postgres://pipeline:[REDACTED]@db.internal:5432/parcelwatch'), text);
  });

  it('hides AWS secret keys, the Temporal API key and OTLP header values wherever they appear', () => {
    const text = redactor.text(
      `S3 said ${env.AWS_SECRET_ACCESS_KEY} / key ${env.TEMPORAL_API_KEY} / header Basic dXNlcjpwYXNz`,
    );
    for (const secret of [env.AWS_SECRET_ACCESS_KEY, env.TEMPORAL_API_KEY, 'Basic dXNlcjpwYXNz']) {
      assert.ok(!text.includes(secret), `${secret} in ${text}`);
    }
    assert.equal(text.split(REDACTED).length - 1, 3);
  });

  it('hides the password of any URL with credentials, even one the environment does not hold', () => {
    assert.equal(
      redactor.text('fetch https://alice:hunter2@example.com/x failed'),
      'fetch https://alice:[REDACTED]@example.com/x failed',
    );
  });

  it('leaves ordinary values alone (the access key id is an identifier, not a secret)', () => {
    const text = 'schema parcelwatch, key id AKIAIOSFODNN7EXAMPLE, scene S2A_33TWL_20240507_0_L2A';
    assert.equal(redactor.text(text), text);
  });

  it('knows fields that hold secrets by their name', () => {
    for (const name of ['password', 'apiKey', 'api_key', 'authorization', 'sessionToken', 'secret'])
      assert.ok(redactor.isSecretField(name), name);
    for (const name of ['workflowId', 'sceneId', 'status', 'reason'])
      assert.ok(!redactor.isSecretField(name), name);
  });

  it('hides the alert webhook URL and inline TLS key data, which carry their secret whole', () => {
    const webhook = 'https://hooks.slack.com/services/T0000/B0000/XXXXsecretXXXX';
    const keyData = '-----BEGIN PRIVATE KEY-----MIIEvQIBADANBg-----END PRIVATE KEY-----';
    const redactor = createRedactor({
      PARCELWATCH_ALERT_WEBHOOK_URL: webhook,
      TEMPORAL_TLS_CLIENT_KEY_DATA: keyData,
    });
    const text = redactor.text(`POST ${webhook} failed; key ${keyData}`);
    assert.equal(text, `POST ${REDACTED} failed; key ${REDACTED}`);
  });

  it('leaves a password already masked as *** alone', () => {
    const text = 'DATABASE_URL=postgres://app:***@db:5432/agri is unreachable';
    assert.equal(redactor.text(text), text);
  });
});
