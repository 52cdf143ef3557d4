/** Reconstructors for the `pytz` pack: `pytz._UTC()`, `pytz._p(zone, …)` and `pytz.FixedOffset(minutes)` → PyTzInfo. */
import { PyTzInfo } from '../../model/pytz.js';
import { shown } from '../../model/pytext.js';
import type { ReconstructorDef } from '../types.js';
import { arity, fail, int, str, unsupported, mustBe, fixed, ZONE_NAME } from './check.js';

const def = (id: string, call: (args: readonly unknown[]) => PyTzInfo): ReconstructorDef => fixed(id, { call });

/** Offsets pytz keeps as timedelta(seconds=n): ints within a day (datetime's own tzinfo bound). */
function seconds(name: string, v: unknown): number {
  if (typeof v === 'number' && !Number.isInteger(v)) return unsupported(`pytz ${name} that is not a whole number of seconds is not supported`);
  const n = int(`pytz ${name}`, v);
  if (n <= -86400 || n >= 86400) fail(`pytz ${name} must be strictly within a day, the pickle gave ${String(n).slice(0, 24)}`);
  return Number(n);
}

export const PYTZ_DEFS: readonly ReconstructorDef[] = [
  /** pytz._UTC() → PyTzInfo.UTC */
  def('pytz._UTC', (args) => {
    arity('_UTC', args, 0, 0);
    return PyTzInfo.UTC;
  }),
  /** pytz._p(zone[, utcoffset, dst, tzname]) → PyTzInfo of the zone (localized when the offsets are given) */
  def('pytz._p', (args) => {
    arity('_p', args, 1, 4);
    const zone = str('pytz zone', args[0], 255);
    if (!ZONE_NAME.test(zone)) fail(`unknown pytz zone ${shown(zone)} (pytz raises UnknownTimeZoneError)`);
    // pytz.timezone('UTC') (any case) is pytz.utc itself.
    if (zone.toUpperCase() === 'UTC') return PyTzInfo.UTC;
    const utcoffset = args[1] ?? null;
    if (utcoffset === null) return PyTzInfo.zoneOf(zone);
    if ((args[2] ?? null) === null) fail('pytz _p(): dst must be given with utcoffset (pytz raises TypeError)');
    const tzname = args[3] ?? null;
    if (tzname !== null && typeof tzname !== 'string') mustBe('pytz tzname', 'a str', tzname);
    return PyTzInfo.zoneOf(zone, seconds('utcoffset', utcoffset), seconds('dst', args[2]), tzname as string | null);
  }),
  /** pytz.FixedOffset(minutes) → PyTzInfo (0 is pytz.utc) */
  def('pytz.FixedOffset', (args) => {
    arity('FixedOffset', args, 1, 1);
    const minutes = int('FixedOffset offset', args[0]);
    if (minutes <= -1440 || minutes >= 1440) fail('absolute offset is too large (pytz raises ValueError)');
    return PyTzInfo.fixed(Number(minutes));
  }),
];
