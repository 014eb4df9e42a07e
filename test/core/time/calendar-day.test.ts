import assert from 'node:assert/strict';
import { calendarDay } from '../../../src/core/time/calendar-day';

describe('calendar days (YYYY-MM-DD, UTC)', () => {
  it('gives the day and the instants it starts and ends', () => {
    assert.deepEqual(calendarDay('2024-02-29'), {
      day: '2024-02-29',
      start: '2024-02-29T00:00:00.000Z',
      end: '2024-03-01T00:00:00.000Z',
    });
    assert.equal(calendarDay('2026-12-31')?.end, '2027-01-01T00:00:00.000Z');
  });

  it('refuses days that do not exist and any other writing', () => {
    for (const text of [
      '2023-02-29',
      '2024-13-01',
      '2024-1-05',
      ' 2024-01-05',
      '2024-01-05T00:00Z',
      '0024-01-01',
      '',
    ])
      assert.equal(calendarDay(text), undefined, text);
  });
});
