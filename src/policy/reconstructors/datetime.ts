/** Reconstructors for `datetime`: the packed-bytes form CPython pickles, and the plain constructor form. */
import { PyDate, PyDatetime, PyTime, PyTimedelta, PyTimezone, type TzInfo } from '../../model/datetime.js';
import { PyGlobal } from '../../model/global.js';
import { PyObject } from '../../model/object.js';
import { PyTzInfo } from '../../model/pytz.js';
import { PyZoneInfo } from '../../model/stdlib.js';
import type { ReconstructorDef } from '../types.js';
import { arity, fail, unsupported, int, latin1Bytes, smallInt, str, mustBe } from './check.js';

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

function checkDate(name: string, year: number, month: number, day: number): void {
  if (year < 1 || year > 9999) fail(`${name}: year ${year} is out of range 1..9999`);
  if (month < 1 || month > 12) fail(`${name}: month must be in 1..12`);
  const last = month === 2 && isLeap(year) ? 29 : DAYS[month - 1]!;
  if (day < 1 || day > last) fail(`${name}: day is out of range for month`);
}

function checkTime(name: string, h: number, m: number, s: number, us: number): void {
  if (h > 23 || m > 59 || s > 59 || us > 999999) fail(`${name}: time field out of range`);
}

function tzinfo(name: string, value: unknown): TzInfo | null {
  if (value === null || value === undefined) return null;
  // GLOBAL pytz.utc (the instance itself; the policy allowed the name): pytz.utc.
  if (value instanceof PyGlobal && value.module === 'pytz' && (value.qualname === 'utc' || value.qualname === 'UTC')) return PyTzInfo.UTC;
  if (value instanceof PyTimezone || value instanceof PyZoneInfo || value instanceof PyTzInfo || value instanceof PyObject) return value;
  return mustBe(`${name}: tzinfo argument`, 'None or a tzinfo', value);
}

/** Keyword arguments are not part of any pickle CPython writes for these types; refuse them. */
function noKwargs(name: string, kwargs: ReadonlyMap<unknown, unknown> | null): void {
  if (kwargs !== null && kwargs.size > 0) unsupported(`${name}() keyword arguments are not supported`);
}

function makeDate(args: readonly unknown[]): PyDate {
  arity('date', args, 1, 3);
  const packed = args.length === 1 ? latin1Bytes('date', args[0]) : undefined;
  if (packed !== undefined) {
    if (packed.length !== 4) fail('date: the packed state must be 4 bytes');
    const year = (packed[0]! << 8) | packed[1]!;
    checkDate('date', year, packed[2]!, packed[3]!);
    return new PyDate(year, packed[2]!, packed[3]!);
  }
  arity('date', args, 3, 3);
  const [y, m, d] = args.map((a, i) => smallInt(`date ${['year', 'month', 'day'][i]}`, a, 0, 9999));
  checkDate('date', y!, m!, d!);
  return new PyDate(y!, m!, d!);
}

function makeTime(args: readonly unknown[]): PyTime {
  arity('time', args, 0, 6);
  const packed = args.length >= 1 && args.length <= 2 ? latin1Bytes('time', args[0]) : undefined;
  if (packed !== undefined) {
    if (packed.length !== 6) fail('time: the packed state must be 6 bytes');
    const h = packed[0]! & 0x7f;
    const us = (packed[3]! << 16) | (packed[4]! << 8) | packed[5]!;
    checkTime('time', h, packed[1]!, packed[2]!, us);
    return new PyTime(h, packed[1]!, packed[2]!, us, tzinfo('time', args[1]), packed[0]! & 0x80 ? 1 : 0);
  }
  // fold is keyword-only in CPython: time() takes at most 5 positional arguments.
  arity('time', args, 0, 5);
  const [h = 0, m = 0, s = 0, us = 0] = args.slice(0, 4).map((a) => smallInt('time field', a, 0, 999999));
  checkTime('time', h, m, s, us);
  return new PyTime(h, m, s, us, tzinfo('time', args[4]));
}

function makeDatetime(args: readonly unknown[]): PyDatetime {
  arity('datetime', args, 1, 9);
  const packed = args.length <= 2 ? latin1Bytes('datetime', args[0]) : undefined;
  if (packed !== undefined) {
    if (packed.length !== 10) fail('datetime: the packed state must be 10 bytes');
    const year = (packed[0]! << 8) | packed[1]!;
    const month = packed[2]! & 0x7f;
    const us = (packed[7]! << 16) | (packed[8]! << 8) | packed[9]!;
    checkDate('datetime', year, month, packed[3]!);
    checkTime('datetime', packed[4]!, packed[5]!, packed[6]!, us);
    return new PyDatetime(year, month, packed[3]!, packed[4]!, packed[5]!, packed[6]!, us, tzinfo('datetime', args[1]), packed[2]! & 0x80 ? 1 : 0);
  }
  // fold is keyword-only in CPython: datetime() takes at most 8 positional arguments.
  arity('datetime', args, 3, 8);
  const [y, mo, d, h = 0, mi = 0, s = 0, us = 0] = args.slice(0, 7).map((a) => smallInt('datetime field', a, 0, 999999));
  checkDate('datetime', y!, mo!, d!);
  checkTime('datetime', h, mi, s, us);
  return new PyDatetime(y!, mo!, d!, h, mi, s, us, tzinfo('datetime', args[7]));
}

const MAX_DAYS = 999999999n;

/** Microseconds per unit of timedelta's positional arguments: days, seconds, microseconds, milliseconds, minutes, hours, weeks. */
const TIMEDELTA_UNITS = [86400000000n, 1000000n, 1n, 1000n, 60000000n, 3600000000n, 604800000000n];
const TIMEDELTA_NAMES = ['days', 'seconds', 'microseconds', 'milliseconds', 'minutes', 'hours', 'weeks'];

/**
 * `timedelta(days, seconds, microseconds, milliseconds, minutes, hours, weeks)` with ints,
 * normalised as Python normalises it (CPython pickles the first three; all seven are accepted).
 */
export function makeTimedelta(args: readonly unknown[]): PyTimedelta {
  arity('timedelta', args, 0, 7);
  const values = args.map((a, i) => int(`timedelta ${TIMEDELTA_NAMES[i]}`, a));
  // Bound before multiplying: a hostile int may have thousands of digits.
  for (const v of values) if (BigInt(v) > 10n ** 30n || BigInt(v) < -(10n ** 30n)) fail('timedelta: value out of range');
  const total = values.reduce<bigint>((sum, v, i) => sum + BigInt(v) * TIMEDELTA_UNITS[i]!, 0n);
  const perDay = 86400n * 1000000n;
  let days = total / perDay;
  let rest = total % perDay;
  if (rest < 0n) {
    rest += perDay;
    days -= 1n;
  }
  if (days > MAX_DAYS || days < -MAX_DAYS) fail(`timedelta: days=${days} must have magnitude <= 999999999`);
  return new PyTimedelta(Number(days), Number(rest / 1000000n), Number(rest % 1000000n));
}

function makeTimezone(args: readonly unknown[]): PyTimezone {
  arity('timezone', args, 1, 2);
  const offset = args[0];
  if (!(offset instanceof PyTimedelta)) return mustBe('timezone: offset', 'a timedelta', offset);
  const us = offset.totalMicroseconds;
  if (us <= -86400000000n || us >= 86400000000n) fail('timezone: offset must be strictly between -timedelta(hours=24) and timedelta(hours=24)');
  return new PyTimezone(offset, args.length > 1 ? str('timezone name', args[1], 1000) : null);
}

const def = (id: string, call: (args: readonly unknown[]) => unknown): ReconstructorDef =>
  Object.freeze({
    id,
    bind: () => ({
      call: (args: readonly unknown[]) => call(args),
      newObject: (args: readonly unknown[], kwargs: ReadonlyMap<unknown, unknown> | null) => {
        noKwargs(id, kwargs);
        return call(args);
      },
    }),
  });

export const DATETIME_DEFS: readonly ReconstructorDef[] = [
  /** datetime.date → PyDate */
  def('datetime.date', makeDate),
  /** datetime.time → PyTime (microseconds, tzinfo, fold) */
  def('datetime.time', makeTime),
  /** datetime.datetime → PyDatetime (microseconds, tzinfo, fold) */
  def('datetime.datetime', makeDatetime),
  /** datetime.timedelta → PyTimedelta, normalised */
  def('datetime.timedelta', makeTimedelta),
  /** datetime.timezone → PyTimezone (fixed offset, name) */
  def('datetime.timezone', makeTimezone),
];
