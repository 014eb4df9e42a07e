import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BadInputError } from '../../../src/core/errors';
import {
  addIsoWeeks,
  formatIsoWeek,
  isoWeekMonday,
  isoWeekOf,
  isoWeekRange,
  isoWeekWindow,
  parseIsoWeek,
  weeksInIsoYear,
} from '../../../src/core/time/iso-week';

/** Python's datetime.isocalendar() for every day of 1999–2041: an independent ISO 8601 calendar. */
function pythonIsoCalendar(): Array<[string, number, number]> {
  const script = `
import json, datetime
d = datetime.date(1999, 1, 1)
out = []
while d.year < 2042:
    y, w, _ = d.isocalendar()
    out.append([d.isoformat(), y, w])
    d += datetime.timedelta(days=1)
print(json.dumps(out))`;
  return JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8' }));
}

describe('ISO weeks', () => {
  it("agrees with Python's isocalendar for every day from 1999 to 2041, at any hour of the UTC day", () => {
    const days = pythonIsoCalendar();
    assert.ok(days.length > 15_000);
    for (const [day, year, week] of days) {
      assert.deepEqual(isoWeekOf(`${day}T00:00:00Z`), { year, week }, day);
      assert.deepEqual(isoWeekOf(new Date(`${day}T23:59:59.999Z`)), { year, week }, day);
    }
  });

  it("gives each week's Monday as Python's date.fromisocalendar does", () => {
    const script =
      'import datetime, json; print(json.dumps([datetime.date.fromisocalendar(y, w, 1).isoformat() for (y, w) in [(2026, 48), (2026, 1), (2020, 53), (2021, 1), (2027, 52)]]))';
    const expected = JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8' }));
    assert.deepEqual(
      ['2026-W48', '2026-W01', '2020-W53', '2021-W01', '2027-W52'].map((w) => isoWeekMonday(w)),
      expected,
    );
  });

  it('opens the window on Monday 00:00Z and closes it on the next Monday 00:00Z', () => {
    assert.deepEqual(isoWeekWindow('2026-W48'), {
      start: '2026-11-23T00:00:00.000Z',
      end: '2026-11-30T00:00:00.000Z',
    });
    // Week 1 of 2026 starts in 2025 (1 January 2026 is a Thursday).
    assert.deepEqual(isoWeekWindow({ year: 2026, week: 1 }), {
      start: '2025-12-29T00:00:00.000Z',
      end: '2026-01-05T00:00:00.000Z',
    });
  });

  it('counts 53 weeks in years starting on Thursday and leap years starting on Wednesday, 52 otherwise', () => {
    assert.equal(weeksInIsoYear(2026), 53); // starts on Thursday
    assert.equal(weeksInIsoYear(2020), 53); // leap year starting on Wednesday
    assert.equal(weeksInIsoYear(2021), 52);
    assert.equal(weeksInIsoYear(2025), 52);
  });

  it('parses and formats 2026-W48 both ways', () => {
    assert.deepEqual(parseIsoWeek('2026-W48'), { year: 2026, week: 48 });
    assert.equal(formatIsoWeek({ year: 2026, week: 5 }), '2026-W05');
    assert.equal(formatIsoWeek(parseIsoWeek('2020-W53')), '2020-W53');
  });

  it('refuses weeks that do not exist, naming the valid ones', () => {
    assert.throws(
      () => parseIsoWeek('2026-W54'),
      (e: unknown) => e instanceof BadInputError && /2026-W54.*weeks 01 to 53/.test(e.message),
    );
    assert.throws(() => parseIsoWeek('2025-W53'), /weeks 01 to 52/);
    assert.throws(() => parseIsoWeek('2026-W00'), /does not exist/);
  });

  it('refuses other spellings and shows the expected form', () => {
    assert.throws(
      () => parseIsoWeek('2026-48', 'from week'),
      (e: unknown) =>
        e instanceof BadInputError && /from week "2026-48".*e\.g\. 2026-W48/.test(e.message),
    );
    assert.throws(() => parseIsoWeek('2026w5'), /e\.g\. 2026-W05/);
    assert.throws(() => parseIsoWeek('last week'), /YYYY-Www/);
    assert.throws(() => isoWeekMonday({ year: 2026, week: 54 }), BadInputError);
  });

  it('lists a range of weeks across a year end, both ends included, and refuses a reversed one', () => {
    assert.deepEqual(isoWeekRange('2026-W52', '2027-W01'), ['2026-W52', '2026-W53', '2027-W01']);
    assert.deepEqual(isoWeekRange('2026-W10', '2026-W10'), ['2026-W10']);
    assert.throws(() => isoWeekRange('2026-W10', '2026-W09'), /reversed/);
  });

  it('steps weeks forwards and backwards across year ends', () => {
    assert.deepEqual(addIsoWeeks('2026-W53', 1), { year: 2027, week: 1 });
    assert.deepEqual(addIsoWeeks('2027-W01', -1), { year: 2026, week: 53 });
    assert.deepEqual(addIsoWeeks('2026-W48', 0), { year: 2026, week: 48 });
  });

  it('refuses an instant that is not a date', () => {
    assert.throws(() => isoWeekOf('not a date'), BadInputError);
  });
});
