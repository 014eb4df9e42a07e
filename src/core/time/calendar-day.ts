/**
 * A calendar day written `YYYY-MM-DD` (UTC) that exists (no 2024-02-30), with the instants it
 * starts and ends ([start, end)); undefined for any other text. Callers word their own errors.
 */
export function calendarDay(text: string): { day: string; start: string; end: string } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const start = new Date(ms).toISOString();
  if (start.slice(0, 10) !== text) return undefined;
  return { day: text, start, end: new Date(ms + 86_400_000).toISOString() };
}
