/**
 * Time values people can use: PyDatetime prints its offset as isoformat() does, toDate() gives the
 * instant CPython computes (fixed offsets, ZoneInfo and pytz zones with fold, naive with a zone),
 * PyTimedelta#toMilliseconds, and JSON.stringify writes the ISO text. Differential against python3.
 */
import { describe, expect, it } from 'vitest';
import { loads, PyDatetime, PyTime, PyTimedelta, UnpicklingError } from '../src/index.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';

const missing = pythonMissing();
if (missing !== null) console.log(`stdlib-time: skipped, ${missing}`);

const hexBytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

interface Case { pkl: string; iso: string; ms: number | null; naiveUtcMs: number | null; td?: number }

const SCRIPT = `
import datetime as D, json, pickle, random, zoneinfo
rnd = random.Random(7)
zones = ['Europe/Paris', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC', 'America/Sao_Paulo']
EPOCH = D.datetime(1970, 1, 1, tzinfo=D.timezone.utc)
ms = lambda dt: (dt - EPOCH) // D.timedelta(milliseconds=1)
out = []
def add(dt):
    naive = dt.tzinfo is None
    data = pickle.dumps(dt, rnd.randrange(6))
    dt = pickle.loads(data)  # fold is written at protocol 4+ only
    out.append({'pkl': data.hex(), 'iso': dt.isoformat(), 'ms': None if naive else ms(dt),
                'naiveUtcMs': ms(dt.replace(tzinfo=D.timezone.utc)) if naive else None})
for i in range(150):
    wall = D.datetime(rnd.randrange(1971, 2025), rnd.randrange(1, 13), rnd.randrange(1, 29), rnd.randrange(24), rnd.randrange(60), rnd.randrange(60), rnd.choice([0, rnd.randrange(10**6)]))
    k = i % 3
    if k == 0:
        off = D.timedelta(seconds=rnd.randrange(-86399, 86400), microseconds=rnd.choice([0, 0, rnd.randrange(10**6)]))
        off = D.timedelta(minutes=off // D.timedelta(minutes=15) * 15) if i % 2 else off
        add(wall.replace(tzinfo=D.timezone(off)))
    elif k == 1:
        add(wall.replace(tzinfo=zoneinfo.ZoneInfo(rnd.choice(zones)), fold=rnd.randrange(2)))
    else:
        add(wall)
# Ambiguous and skipped wall times, both folds.
for z, w in [('Europe/Paris', (2023, 10, 29, 2, 30)), ('Europe/Paris', (2023, 3, 26, 2, 30)), ('America/New_York', (2022, 11, 6, 1, 15)), ('America/New_York', (2022, 3, 13, 2, 15))]:
    for f in (0, 1):
        add(D.datetime(*w, tzinfo=zoneinfo.ZoneInfo(z), fold=f))
tds = [D.timedelta(days=rnd.randrange(-10**6, 10**6), seconds=rnd.randrange(86400), microseconds=rnd.randrange(10**6)) for _ in range(50)]
print(json.dumps({'dts': out, 'tds': [[pickle.dumps(t, 4).hex(), t / D.timedelta(milliseconds=1)] for t in tds]}))
`;

describe.skipIf(missing !== null)('datetimes against CPython', () => {
  const { dts, tds } = missing === null ? runPythonJson<{ dts: Case[]; tds: [string, number][] }>(SCRIPT) : { dts: [], tds: [] };

  it(`String(dt), JSON and toDate() (${dts.length} datetimes)`, () => {
    for (const c of dts) {
      const dt = loads(hexBytes(c.pkl)) as PyDatetime;
      const zone = (dt.tzinfo as { key?: string } | null)?.key;
      // A ZoneInfo's offset is not in the pickle: the wall time and [key], as documented.
      const expected = zone === undefined ? c.iso : `${c.iso.slice(0, c.iso.length - 6)}[${zone}]`;
      expect(String(dt), c.iso).toBe(expected);
      expect(JSON.stringify({ t: dt })).toBe(JSON.stringify({ t: expected }));
      if (c.ms !== null) expect(dt.toDate().getTime(), c.iso).toBe(c.ms);
      else {
        expect(() => dt.toDate()).toThrow(/naive/);
        expect(dt.toDate('UTC').getTime()).toBe(c.naiveUtcMs);
        expect(dt.toDate('+02:30').getTime()).toBe(c.naiveUtcMs! - 9000000);
        expect(dt.toDate('-01:00').getTime()).toBe(c.naiveUtcMs! + 3600000);
      }
    }
  });

  it(`PyTimedelta#toMilliseconds (${tds.length} timedeltas)`, () => {
    for (const [pkl, msValue] of tds) expect((loads(hexBytes(pkl)) as PyTimedelta).toMilliseconds()).toBe(msValue);
  });
});

describe('datetime offsets', () => {
  const dt = (tz: unknown) => new PyDatetime(2024, 5, 1, 12, 30, 0, 0, tz as null);

  it('a naive datetime with a zone name resolves it; an unknown zone is an UnpicklingError', () => {
    expect(dt(null).toDate('Europe/Paris').toISOString()).toBe('2024-05-01T10:30:00.000Z');
    expect(() => dt(null).toDate('Mars/Olympus')).toThrow(UnpicklingError);
    expect(() => dt(null).toDate('+25:00')).toThrow(/within a day/);
  });

  it('years before 100 and microsecond offsets', () => {
    expect(new PyDatetime(1, 1, 1).toDate('UTC').toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(new PyDatetime(99, 12, 31, 23, 59, 59, 999999).toDate('UTC').toISOString()).toBe('0099-12-31T23:59:59.999Z');
    expect(String(new PyTime(1, 2, 3, 0))).toBe('01:02:03');
  });
});
