/**
 * Bad arguments and state for the stdlib reconstructors (wrong types, out-of-range fields, huge
 * numbers) fail as MalformedPickleError with the offset of the opcode, never with another error.
 * The pickles are made by CPython (a class whose __reduce__ returns the bad call), so they are
 * exactly what a hostile writer could send; the expected Python error class is recorded beside.
 */
import { describe, expect, it } from 'vitest';
import { createPolicy, DEFAULT_POLICY, loads, MalformedPickleError, PickleError, RefusedGlobalError } from '../src/index.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';

const missing = pythonMissing();
if (missing !== null) console.log(`stdlib-args: skipped, ${missing}`);

// Each case: a Python expression for (callable, args[, state]) given to __reduce__, or raw bytes as bytes.
const CASES: Record<string, string> = {
  date_month_13: "(dt.date, (b'\\x07\\xe4\\x0d\\x01',))",
  date_feb_30: "(dt.date, (b'\\x07\\xe4\\x02\\x1e',))",
  date_year_0: "(dt.date, (b'\\x00\\x00\\x01\\x01',))",
  date_fields_month: '(dt.date, (2020, 13, 1))',
  date_fields_type: "(dt.date, ('2020', 1, 1))",
  date_str_not_latin1: "(dt.date, ('\\u07e4\\x01\\x02\\x03',))",
  time_hour_24: "(dt.time, (b'\\x18\\x00\\x00\\x00\\x00\\x00',))",
  time_minute_60: "(dt.time, (b'\\x01\\x3c\\x00\\x00\\x00\\x00',))",
  time_micro_1e6: "(dt.time, (b'\\x01\\x02\\x03\\x0f\\x42\\x40',))",
  time_bad_tzinfo: "(dt.time, (b'\\x01\\x02\\x03\\x00\\x00\\x00', 5))",
  datetime_day_32: "(dt.datetime, (b'\\x07\\xe4\\x01\\x20\\x00\\x00\\x00\\x00\\x00\\x00',))",
  datetime_second_60: "(dt.datetime, (b'\\x07\\xe4\\x01\\x01\\x00\\x00\\x3c\\x00\\x00\\x00',))",
  datetime_str_tzinfo: "(dt.datetime, (b'\\x07\\xe4\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00', 'UTC'))",
  datetime_short_state: "(dt.datetime, (b'\\x07\\xe4\\x01\\x01\\x00\\x00\\x00\\x00\\x00',))",
  datetime_huge_state: "(dt.datetime, ('x' * 1000000,))",
  timedelta_overflow: '(dt.timedelta, (10**9,))',
  timedelta_huge_int: '(dt.timedelta, (10**4000,))',
  timedelta_str: "(dt.timedelta, ('1',))",
  timezone_24h: '(dt.timezone, (dt.timedelta(hours=24),))',
  timezone_not_delta: '(dt.timezone, (3600,))',
  timezone_name_int: '(dt.timezone, (dt.timedelta(0), 5))',
  decimal_garbage: "(decimal.Decimal, ('abc',))",
  decimal_float: '(decimal.Decimal, (1.5,))',
  decimal_exponent: "(decimal.Decimal, ('1e' + '9' * 30,))",
  fraction_zero_den: '(fractions.Fraction, (1, 0))',
  fraction_str_zero_den: "(fractions.Fraction, ('1/0',))",
  fraction_garbage: "(fractions.Fraction, ('one half',))",
  fraction_huge_exponent: "(fractions.Fraction, ('1e99999999',))",
  fraction_float: '(fractions.Fraction, (1.5,))',
  zoneinfo_absolute: "(zoneinfo.ZoneInfo._unpickle, ('/etc/passwd', 1))",
  zoneinfo_parent: "(zoneinfo.ZoneInfo._unpickle, ('../../etc/passwd', 1))",
  zoneinfo_not_normal: "(zoneinfo.ZoneInfo._unpickle, ('Europe//Paris', 1))",
  zoneinfo_key_int: '(zoneinfo.ZoneInfo._unpickle, (5, 1))',
  zoneinfo_cache_str: "(zoneinfo.ZoneInfo._unpickle, ('UTC', 'yes'))",
  path_int: '(pathlib.PurePosixPath, (5,))',
  path_bytes: "(pathlib.PureWindowsPath, (b'c:/x',))",
  ipv4_too_big: '(ipaddress.IPv4Address, (2**32,))',
  ipv4_huge: '(ipaddress.IPv4Address, (2**13000,))',
  ipv4_octet: "(ipaddress.IPv4Address, ('1.2.3.256',))",
  ipv4_leading_zero: "(ipaddress.IPv4Address, ('01.2.3.4',))",
  ipv6_two_gaps: "(ipaddress.IPv6Address, ('1::2::3',))",
  ipv6_empty_scope: "(ipaddress.IPv6Address, ('fe80::1%',))",
  ipv6_packed_length: "(ipaddress.IPv6Address, (b'x',))",
  ipv4_network_host_bits: "(ipaddress.IPv4Network, ('10.0.0.1/8',))",
  ipv4_network_prefix: "(ipaddress.IPv4Network, ('10.0.0.0/33',))",
  ipv6_interface_mask: "(ipaddress.IPv6Interface, ('::1/ffff::',))",
  range_step_zero: '(range, (1, 2, 0))',
  range_str: "(range, ('a',))",
  range_float: '(range, (1.5,))',
  range_no_args: '(range, ())',
  slice_four: '(slice, (1, 2, 3, 4))',
  defaultdict_int_factory: '(collections.defaultdict, (5,))',
  defaultdict_other_global: '(collections.defaultdict, (dt.date,))',
  deque_negative_maxlen: '(collections.deque, ([], -1))',
  deque_str_maxlen: "(collections.deque, ([], 'x'))",
  deque_huge_maxlen: '(collections.deque, ([], 2**64))',
  deque_not_iterable: '(collections.deque, (5,))',
  counter_int: '(collections.Counter, (5,))',
  reconstructor_no_new: '(copyreg._reconstructor, (dt.date, object, None))',
  reconstructor_not_class: "(copyreg._reconstructor, ('x', object, None))",
  // Beyond the stdlib branch's cases: more that CPython rejects.
  time_fold_positional: '(dt.time, (1, 2, 3, 4, None, 1))',
  datetime_fold_positional: '(dt.datetime, (2020, 1, 2, 3, 4, 5, 6, None, 1))',
  decimal_underflow: "(decimal.Decimal, ('1e-1999999999999999998',))",
  decimal_zero_clamped: "(decimal.Decimal, ('0e1000000000000000000',))",
  zoneinfo_trailing_slash: "(zoneinfo.ZoneInfo._unpickle, ('Europe/Paris/', 1))",
  zoneinfo_dot_segment: "(zoneinfo.ZoneInfo._unpickle, ('Europe/./Paris', 1))",
  ipv6_scope_twice: "(ipaddress.IPv6Address, ('fe80::1%a%b',))",
  ipv6_network_host_bits: "(ipaddress.IPv6Network, ('2001:db8::1/32',))",
  ipv4_interface_bad_mask: "(ipaddress.IPv4Interface, ('10.0.0.1/255.0.255.0',))",
  ipv4_network_int_too_big: '(ipaddress.IPv4Network, (2**32,))',
  fraction_int_digits: "(fractions.Fraction, ('1' * 4301,))",
  decimal_none: '(decimal.Decimal, (None,))',
  decimal_context_int: "(decimal.Decimal, ('1', 5))",
  fraction_none: '(fractions.Fraction, (None,))',
  deque_none: '(collections.deque, (None,))',
};

// UUID state goes through NEWOBJ + BUILD, which __reduce__ cannot point at another class: assembled here.
const UUID_STATES: Record<string, string> = {
  uuid_negative: "{'int': -1}",
  uuid_too_big: "{'int': 2**128}",
  uuid_str: "{'int': 'x'}",
  uuid_missing_int: '{}',
  uuid_list_state: '[1]',
  uuid_bad_safe: "{'int': 1, 'is_safe': 5}",
  uuid_safe_true: "{'int': 1, 'is_safe': True}",
  uuid_safe_half: "{'int': 1, 'is_safe': 0.5}",
  uuid_safe_huge: "{'int': 1, 'is_safe': 10**400}",
};

const SCRIPT = `
import collections, copyreg, datetime as dt, decimal, fractions, ipaddress, json, pathlib, pickle, sys, zoneinfo
cases, states = json.load(sys.stdin)
class R:
    def __init__(self, r): self.r = r
    def __reduce__(self): return self.r
out = {}
for name, expr in cases.items():
    for p in (0, 2, 4):
        out['%s.p%d' % (name, p)] = pickle.dumps(R(eval(expr)), p).hex()
for name, expr in states.items():
    state = pickle.dumps(eval(expr), 2)[2:-1]
    out[name + '.p2'] = (b'\\x80\\x02cuuid\\nUUID\\n)\\x81' + state + b'b.').hex()
print(json.dumps(out))
`;

describe.skipIf(missing !== null)('stdlib reconstructors refuse bad arguments', () => {
  const pickles = missing === null ? runPythonJson<Record<string, string>>(SCRIPT, [CASES, UUID_STATES]) : {};
  const policy = DEFAULT_POLICY;

  it('with MalformedPickleError at the call (or a refusal by the pack\'s constraint), for every case and protocol', () => {
    const wrong: string[] = [];
    for (const [name, hex] of Object.entries(pickles)) {
      const data = Uint8Array.from(hex.match(/../g)!, (x) => parseInt(x, 16));
      try {
        const value = loads(data, { policy });
        wrong.push(`${name}: loaded ${String(value)}`);
      } catch (e) {
        // copyreg._reconstructor(datetime.date, object, None) is object.__new__(date), which the
        // default policy refuses: datetime.date is allowed to be called, not instantiated with "new".
        // That refusal comes first, as RefusedGlobalError (with its offset), and is right.
        if (name.startsWith('reconstructor_no_new.') && e instanceof RefusedGlobalError) {
          if (typeof e.offset !== 'number') wrong.push(`${name}: no offset`);
          continue;
        }
        // Arguments outside the pack's declarative constraint are refused by the policy before the
        // reconstructor sees them: a refusal (the audit's `unsafe`), not malformed input.
        if (e instanceof RefusedGlobalError && e.message.includes("the policy's constraint on")) {
          if (typeof e.offset !== 'number') wrong.push(`${name}: no offset`);
          continue;
        }
        if (!(e instanceof MalformedPickleError)) wrong.push(`${name}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
        else if (typeof e.offset !== 'number') wrong.push(`${name}: no offset`);
        else if (e.message.length > 400) wrong.push(`${name}: a ${e.message.length}-character message`);
      }
    }
    console.log(`stdlib-args: ${Object.keys(pickles).length} bad pickles refused`);
    expect(wrong).toEqual([]);
    expect(Object.keys(pickles).length).toBe(Object.keys(CASES).length * 3 + Object.keys(UUID_STATES).length);
  });

  it('refuse keyword arguments to the datetime types (NEWOBJ_EX with kwargs) under a policy that allows "new", and take none', () => {
    const made = runPythonJson<Record<string, [string, string]>>(`
import copyreg, datetime as dt, json, pickle
class R:
    def __init__(self, r): self.r = r
    def __reduce__(self): return self.r
cases = [('date', dt.date, (2020, 1, 1)), ('time', dt.time, (1, 2)), ('datetime', dt.datetime, (2020, 1, 1)), ('timedelta', dt.timedelta, (1,)), ('timezone', dt.timezone, (dt.timedelta(0),))]
print(json.dumps({n: [pickle.dumps(R((copyreg.__newobj_ex__, (c, a, {'fold': 0}))), 4).hex(), pickle.dumps(R((copyreg.__newobj_ex__, (c, a, {}))), 4).hex()] for n, c, a in cases}))
`);
    const entries = Object.keys(made).map((q) => ({ module: 'datetime', qualname: q, reconstructor: `datetime.${q}`, uses: ['call', 'new'] as const }));
    const lenient = createPolicy({ packs: [{ id: 'new-datetimes', version: '1.0.0', description: 'test', extends: [], entries }] });
    const hex = (h: string) => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16));
    for (const [name, [withKwargs, without]] of Object.entries(made)) {
      // Unsupported, not malformed: CPython would take them, the reconstructor does not (a refusal, with its offset).
      const refused = (() => {
        try {
          loads(hex(withKwargs), { policy: lenient });
        } catch (e) {
          return e;
        }
      })();
      expect(refused, name).toBeInstanceOf(RefusedGlobalError);
      expect(refused, name).toMatchObject({ module: 'datetime', qualname: name, opcode: { name: 'NEWOBJ_EX' } });
      expect((refused as Error).message, name).toContain(`datetime.${name}() keyword arguments are not supported; nothing was called`);
      expect(() => loads(hex(without), { policy: lenient }), name).not.toThrow();
    }
  });

  it('say which reconstructor and what was wrong', () => {
    const data = Uint8Array.from(pickles['date_feb_30.p2']!.match(/../g)!, (x) => parseInt(x, 16));
    expect(() => loads(data, { policy })).toThrow(/datetime\.date: date: day is out of range/);
    const key = Uint8Array.from(pickles['zoneinfo_parent.p4']!.match(/../g)!, (x) => parseInt(x, 16));
    expect(() => loads(key, { policy })).toThrow(PickleError);
    expect(() => loads(key, { policy })).toThrow(/normalized relative paths/);
  });
});
