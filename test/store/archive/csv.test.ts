import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BadDataError } from '../../../src/core/errors';
import { type CsvField, formatCsvLine, parseCsv } from '../../../src/store/archive/csv';
import { testDatabase } from '../../helpers/services';

/** Values that need every rule: delimiters, quotes, line ends, COPY's end marker, empty vs NULL. */
const TRICKY: CsvField[] = [
  'plain',
  null,
  '',
  'a,b',
  'say "hi"',
  'two\nlines',
  'cr\r\nlf',
  '\\.',
  '\\N',
  ' spaced ',
  'été 🌾',
  '{buffer-fallback,"odd ""flag"", with comma"}',
];

describe('archive CSV (PostgreSQL COPY csv)', () => {
  it('reads back exactly what it writes, telling NULL from the empty string', () => {
    const records = [TRICKY, [...TRICKY].reverse(), ['only']];
    const text = `${records.map(formatCsvLine).join('\n')}\n`;
    assert.deepEqual(parseCsv(text, 'test'), records);
    assert.deepEqual(parseCsv(text.replace(/\n$/, ''), 'test'), records, 'final line end optional');
  });

  it('is what PostgreSQL writes, and what it loads back value for value (psql \\copy)', async () => {
    const { url } = await testDatabase();
    const psql = (sql: string, input?: string) =>
      execFileSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
        input,
        encoding: 'utf8',
        // A lock this process holds would block psql, and with it this event loop, for good.
        timeout: 60_000,
        env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning -c lock_timeout=30s' },
      });
    psql(
      'DROP TABLE IF EXISTS pw_archive_csv_probe; CREATE TABLE pw_archive_csv_probe (n int PRIMARY KEY, v text); ' +
        `INSERT INTO pw_archive_csv_probe VALUES ${TRICKY.map((v, i) => `(${i}, ${v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`})`).join(', ')}`,
    );
    // PostgreSQL's own output parses to the stored values.
    const theirs = psql(
      '\\copy (SELECT n::text AS i, v FROM pw_archive_csv_probe ORDER BY pw_archive_csv_probe.n) TO STDOUT WITH (FORMAT csv)',
    );
    assert.deepEqual(
      parseCsv(theirs, 'psql').map((r) => r[1]),
      TRICKY,
    );
    // Ours loads into PostgreSQL as the same values.
    psql('TRUNCATE pw_archive_csv_probe');
    const ours = TRICKY.map((v, i) => formatCsvLine([String(i), v])).join('\n');
    psql('\\copy pw_archive_csv_probe FROM STDIN WITH (FORMAT csv)', `${ours}\n`);
    const back = psql(
      "\\copy (SELECT coalesce(v, '<NULL>') FROM pw_archive_csv_probe ORDER BY n) TO STDOUT WITH (FORMAT csv)",
    );
    assert.deepEqual(
      parseCsv(back, 'psql').map((r) => r[0]),
      TRICKY.map((v) => (v === null ? '<NULL>' : v)),
    );
    psql('DROP TABLE pw_archive_csv_probe');
  });

  it('refuses truncated or malformed text with an error naming the source', () => {
    assert.throws(
      () => parseCsv('a,"unterminated\n', 'archive X'),
      (e: unknown) => {
        assert.ok(e instanceof BadDataError);
        assert.match(e.message, /archive X: record 1 .*never ends/);
        return true;
      },
    );
    assert.throws(() => parseCsv('a,"b"c\n', 'archive X'), /after a closing quote/);
    assert.throws(() => parseCsv('a,b"c\n', 'archive X'), /quote inside an unquoted field/);
  });
});
