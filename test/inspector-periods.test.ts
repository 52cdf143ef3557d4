/**
 * The page's period cells against pandas itself: `str(pd.Period(ordinal=o, freq=f))` for every
 * frequency a Period takes, in pandas 1.5's spellings (Debian's /usr/bin/python3) and pandas 2.2's
 * (the trixie root, when this machine has it), over ordinals near zero, around year ends and leap
 * days, in years 0 and below, and far out.
 */
import { describe, expect, it } from 'vitest';
import { period } from '../src/inspector/frames.js';
import { interpreterWith, runPython } from './helpers/producers.js';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
const YEAR = 365.2425;

/** Each frequency's base spelling in pandas 1.5 and 2.2, and how many of its units make a day (roughly, for below a day exactly). */
const BASES: [string, string, number][] = [
  ['A', 'Y', 1 / YEAR],
  ['Q', 'Q', 4 / YEAR],
  ['M', 'M', 12 / YEAR],
  ['W', 'W', 1 / 7],
  ['B', 'B', 5 / 7],
  ['D', 'D', 1],
  ['H', 'h', 24],
  ['T', 'min', 1440],
  ['S', 's', 86400],
  ['L', 'ms', 864e5],
  ['U', 'us', 864e8],
  ['N', 'ns', 864e11],
];

/** Every frequency of `version` (0: pandas 1.5, 1: pandas 2.2) with its units per day: anchored ones for each month or weekday, bare ones, and multiples. */
function frequencies(version: 0 | 1): [string, number][] {
  const out: [string, number][] = [];
  for (const b of BASES) {
    const [name, perDay] = [b[version], b[2]];
    out.push([name, perDay]);
    if (name === 'A' || name === 'Y' || name === 'Q') for (const m of MONTHS) out.push([`${name}-${m}`, perDay]);
    if (name === 'W') for (const d of DAYS) out.push([`W-${d}`, perDay]);
    if (!['W', 'B'].includes(name)) out.push([`3${name}`, perDay]);
  }
  return out;
}

/** Days from 1970-01-01 to 1 January of year `y` (proleptic Gregorian), by counting leap years. */
function yearStart(y: number): number {
  const leaps = (n: number) => Math.floor(n / 4) - Math.floor(n / 100) + Math.floor(n / 400);
  return 365 * (y - 1970) + leaps(y - 1) - leaps(1969);
}

/** Day counts since 1970-01-01 worth checking: around each year's ends and leap day, for years near 0, 1582, 1900, 1970, 2000, 2262, 9999 and far out, and a spread over ±3 million years. */
function days(): number[] {
  const out = new Set<number>([0, 1, -1, 3, -3, 6, 7, -7]);
  for (const y of [-100_000, -10_000, -4713, -1001, -101, -5, -4, -1, 0, 1, 4, 99, 100, 999, 1000, 1582, 1600, 1677, 1899, 1900, 1969, 1970, 1999, 2000, 2004, 2100, 2262, 2400, 9999, 10_000, 100_000, 1_000_000]) {
    // 1 January, 28 February, 1 March (the day after 29 February in a leap year), 31 December.
    const leap = yearStart(y + 1) - yearStart(y) === 366 ? 1 : 0;
    for (const d of [0, 58, 59 + leap, 364 + leap]) for (const k of [-1, 0, 1]) out.add(yearStart(y) + d + k);
  }
  let seed = 7n;
  for (let i = 0; i < 60; i++) {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
    out.add(Number(BigInt.asIntN(64, seed) % 1_100_000_000n));
  }
  return [...out];
}

/** Ordinals for a frequency: the periods holding each day, their neighbours and each day's last unit, within int64 and short of where pandas' own arithmetic wraps (years past ±2^31; units below a day beyond 100,000 years). */
function ordinals(perDay: number): bigint[] {
  const limit = 2n ** 63n - 1n;
  // int64's ends (but NaT) only in nanoseconds: in longer units pandas' arithmetic wraps there.
  const out = new Set<bigint>(perDay === 864e11 ? [0n, 1n, -1n, limit, -limit] : [0n, 1n, -1n]);
  for (const d of days()) {
    if (perDay > 1 && Math.abs(d) > 36_500_000) continue;
    const at = BigInt(Math.floor(d * perDay));
    const last = perDay >= 1 ? BigInt(d + 1) * BigInt(perDay) - 1n : at;
    for (const o of [at - 1n, at, at + 1n, last]) if (o <= limit && o >= -limit) out.add(o);
  }
  // Far periods pandas still prints: about ±(2^31 - 10^4) years.
  const farYears = 2 ** 31 - 10_000;
  if (perDay < 1) for (const s of [1, -1]) out.add(BigInt(Math.round(s * farYears * YEAR * perDay)));
  return [...out];
}

const SCRIPT = `
import json, sys, warnings, pandas as pd
warnings.simplefilter('ignore')
print(json.dumps([[str(pd.Period(ordinal=int(o), freq=f)) for o in os] for f, os in json.load(sys.stdin)]))`;

function differential(exe: string, version: 0 | 1): number {
  const cases = frequencies(version).map(([f, perDay]) => [f, ordinals(perDay)] as const);
  const input = JSON.stringify(cases.map(([f, os]) => [f, os.map(String)]));
  const r = runPython(exe, ['-c', SCRIPT], { input, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${exe}: ${r.stderr}`);
  const py = JSON.parse(r.stdout) as string[][];
  let n = 0;
  cases.forEach(([f, os], i) => {
    const ours = os.map((o) => `${o} ${f}: ${period(o, f)}`);
    expect(ours).toEqual(os.map((o, k) => `${o} ${f}: ${py[i]![k]}`));
    n += os.length;
  });
  return n;
}

const PANDAS_15 = interpreterWith('pandas', '1.5.3');
const PANDAS_22 = interpreterWith('pandas', '2.2.3');
if (!PANDAS_15) console.log("skipping the pandas 1.5 period differential: no interpreter here has pandas 1.5.3 (Debian's python3-pandas)");
if (!PANDAS_22) console.log('skipping the pandas 2.2 period differential: no interpreter here has pandas 2.2.3 (the trixie root of corpus/realworld/make-debian-root.sh)');

describe("the page's periods print as pandas prints them (differential)", () => {
  it.skipIf(!PANDAS_15)("every pandas 1.5 frequency (A-JAN…A-DEC, Q-JAN…Q-DEC, M, W-MON…W-SUN, B, D, H, T, S, L, U, N, multiples) against Debian's pandas 1.5.3", () => {
    expect(differential(PANDAS_15!, 0)).toBeGreaterThan(20_000);
  });
  it.skipIf(!PANDAS_22)("pandas 2.2's spellings (Y-JAN…Y-DEC, h, min, s, ms, us, ns) against pandas 2.2.3", () => {
    expect(differential(PANDAS_22!, 1)).toBeGreaterThan(20_000);
  });
  it('a frequency no Period takes keeps its ordinal', () => {
    expect(period(5n, 'QS-DEC')).toBe('ordinal 5 (QS-DEC)');
    expect(period(5n, 'W-XYZ')).toBe('ordinal 5 (W-XYZ)');
    expect(period(5n, 'Week')).toBe('ordinal 5 (Week)');
  });
});
