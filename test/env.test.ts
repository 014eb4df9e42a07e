import assert from 'node:assert/strict';
import { Env, shownUrl } from '../src/env';

describe('Env: settings quoted in configuration errors', () => {
  it('shows a URL with its password masked', () => {
    assert.equal(
      shownUrl('DATABASE_URL', 'postgres://app:s3cret@db:5432/agri'),
      'postgres://app:***@db:5432/agri',
    );
    assert.equal(
      shownUrl('STAC_API_URL', 'https://earth-search.example/v1'),
      'https://earth-search.example/v1',
    );
  });

  it('shows only the scheme and host of a URL whose path is a secret (webhooks)', () => {
    assert.equal(
      shownUrl('PARCELWATCH_ALERT_WEBHOOK_URL', 'https://hooks.slack.com/services/T0/B0/tok3n'),
      'https://hooks.slack.com/…',
    );
  });

  it('does not show text that is no URL but holds a password part', () => {
    assert.equal(
      shownUrl('DATABASE_URL', 'postgres://app:s3cret@db:port/agri'),
      '<not shown: it looks like it holds a password>',
    );
    assert.equal(shownUrl('DATABASE_URL', 'not a url'), 'not a url');
  });

  it('quotes settings that way in its problems', () => {
    const env = new Env({
      DATABASE_URL: 'mysql://app:s3cret@db/agri',
      PARCELWATCH_ALERT_WEBHOOK_URL: 'ftp://hooks.example.com/T0/B0/tok3n',
    });
    env.url('DATABASE_URL', '', ['postgres'], 'a PostgreSQL URL');
    env.url('PARCELWATCH_ALERT_WEBHOOK_URL', '', ['https'], 'a webhook');
    assert.throws(
      () => env.assertValid(),
      (e: Error) =>
        e.message.includes('DATABASE_URL=mysql://app:***@db/agri has an unsupported scheme') &&
        e.message.includes('PARCELWATCH_ALERT_WEBHOOK_URL=ftp://hooks.example.com/… has') &&
        !/s3cret|tok3n/.test(e.message),
    );
  });
});
