/**
 * A wall time's offset in a tz-database zone, from the runtime's own database (`Intl`): what
 * `toDate()` needs for ZoneInfo and pytz zones, whose pickles name the zone but not its offset.
 */
import { UnpicklingError } from '../errors.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new UnpicklingError('unknown_zone', `the time zone ${JSON.stringify(zone.slice(0, 64))} is not in this runtime's tz database (Intl)`);
    }
    if (formatters.size >= 64) formatters.clear();
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset (seconds east of UTC) at the UTC instant `utcMs`, whole seconds. */
export function offsetAt(zone: string, utcMs: number): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(whole))) parts[p.type] = p.value;
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  const d = new Date(0);
  d.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day));
  d.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
  return (d.getTime() - whole) / 1000;
}

/**
 * The offset of the wall time `wallMs` (its fields read as UTC) in `zone`. An ambiguous wall time
 * (clocks set back) takes the earlier offset with fold 0 and the later with fold 1; a skipped one
 * (clocks set forward) takes the offset before the change with fold 0 and after it with fold 1,
 * as Python's zoneinfo does (PEP 495). Assumes at most one change within a day of the wall time.
 */
export function zoneOffsetSeconds(zone: string, wallMs: number, fold: 0 | 1): number {
  const day = 86400000;
  const before = offsetAt(zone, wallMs - day);
  const after = offsetAt(zone, wallMs + day);
  const fits = (o: number) => offsetAt(zone, wallMs - o * 1000) === o;
  const a = fits(before);
  const b = fits(after);
  if (a && b) return fold === 0 ? before : after;
  if (a) return before;
  if (b) return after;
  return fold === 0 ? before : after;
}
