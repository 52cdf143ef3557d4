/**
 * Reconstructors for the stdlib data types in the `python-stdlib` pack, plus the generic ones a
 * team applies to its own classes (`object`) and to names that are only data (`reference`).
 */
import { PyDefaultDict, PyDeque, PyCounter } from '../../model/collections.js';
import { PyFloat } from '../../model/float.js';
import { PyGlobal } from '../../model/global.js';
import { isHashable } from '../../model/hashable.js';
import { PyObject } from '../../model/object.js';
import { PyDecimal, PyFraction, PyIPAddress, PyPath, PyRange, PySlice, PyUUID, PyZoneInfo } from '../../model/stdlib.js';
import { EMPTY_TUPLE, PyTuple } from '../../model/tuple.js';
import { ReconstructorRefusal, type ReconstructContext, type Reconstructor, type ReconstructorDef } from '../types.js';
import { RECONSTRUCTIBLE } from './builtins.js';
import { shown } from '../../model/pytext.js';
import { normalInt } from '../../model/int.js';
import { arity, describe, fail, unsupported, int, intText, str, mustBe, fixed, ZONE_NAME } from './check.js';
import { decimalText, fractionParts, ipValue } from './stdlib-parse.js';

/** decimal.Decimal → PyDecimal, exact (the decimal string, as str() writes it) */
const decimal = fixed('decimal.Decimal', {
  call(args) {
    arity('Decimal', args, 0, 2);
    // Decimal(value, context): only None reaches a pickle here; another context is not data.
    if (args.length === 2 && args[1] !== null) mustBe('Decimal() context', 'None here', args[1]);
    const v = args.length === 0 ? '0' : args[0]; // Decimal(None) raises TypeError, as below
    if (typeof v === 'string') {
      if (v.length > 100000) fail('Decimal(): the string is longer than 100000 characters');
      const text = decimalText(v);
      if (text === undefined) fail(`Decimal(): invalid literal ${shown(v)} (CPython raises InvalidOperation)`);
      return new PyDecimal(text);
    }
    if (typeof v === 'number' && Number.isSafeInteger(v)) return new PyDecimal(String(v));
    if (typeof v === 'bigint') return new PyDecimal(v.toString());
    return unsupported(`Decimal() from ${describe(v)} is not supported`);
  },
});

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}

/** fractions.Fraction → PyFraction in lowest terms */
const fraction = fixed('fractions.Fraction', {
  call(args) {
    arity('Fraction', args, 0, 2);
    let n: bigint;
    let d: bigint;
    if (args.length === 1 && typeof args[0] === 'string') {
      const text = args[0];
      if (text.length > 10000) fail('Fraction(): the string is too long');
      [n, d] = fractionParts(text);
    } else {
      n = BigInt(int('Fraction numerator', args.length === 0 ? 0 : args[0])); // Fraction(None) raises TypeError
      d = BigInt(int('Fraction denominator', args[1] ?? 1));
    }
    if (d === 0n) fail('Fraction(): denominator is zero');
    const g = gcd(n, d) || 1n;
    const sign = d < 0n ? -1n : 1n;
    return new PyFraction(normalInt((sign * n) / g), normalInt((sign * d) / g));
  },
});

const MAX_UUID = (1n << 128n) - 1n;

/**
 * `SafeUUID(value)` as UUID.__setstate__ calls it, kept as the value `__getstate__` writes back:
 * 0 (safe) or -1 (unsafe); None (unknown) is not written at all. False and 0.0 equal 0, so they are
 * SafeUUID.safe too; anything else raises ValueError in CPython.
 */
function safeUUID(value: unknown): 0 | -1 | undefined {
  if (value === undefined || value === null) return undefined;
  const n = value instanceof PyFloat ? value.value : value === false ? 0 : value;
  if (n === 0 || n === 0n) return 0;
  if (n === -1 || n === -1n) return -1;
  return fail(`UUID is_safe must be a SafeUUID value (0, -1 or None), the pickle gave ${typeof value === 'number' || typeof value === 'bigint' ? intText(value) : describe(value)}`);
}

/** uuid.UUID → PyUUID: made empty (NEWOBJ or copyreg._reconstructor), then filled by its state dict (BUILD). */
const uuid = fixed('uuid.UUID', {
  newObject(args, kwargs) {
    if (args.length > 0 || (kwargs !== null && kwargs.size > 0)) fail('UUID.__new__ takes no arguments in a pickle');
    return new PyUUID(-1n);
  },
  setState(target, state) {
    if (!(target instanceof PyUUID) || target.int !== -1n) return fail('UUID state applies once, to a new UUID');
    if (!(state instanceof Map)) return mustBe('UUID state', 'a dict', state);
    for (const k of state.keys()) if (k !== 'int' && k !== 'is_safe') fail(`UUID state has an unexpected key ${typeof k === 'string' ? shown(k) : describe(k)}`);
    if (!state.has('int')) fail("UUID state has no 'int' (CPython raises KeyError)");
    const value = BigInt(int('UUID int', state.get('int')));
    if (value < 0n || value > MAX_UUID) fail('UUID int is out of range (0 ≤ int < 2**128)');
    return new PyUUID(value, safeUUID(state.get('is_safe')));
  },
});

/** zoneinfo.ZoneInfo._unpickle(key, from_cache) → PyZoneInfo (reached as getattr(ZoneInfo, '_unpickle')) */
const zoneinfo = fixed('zoneinfo.ZoneInfo._unpickle', {
  call(args) {
    arity('ZoneInfo._unpickle', args, 2, 2);
    const key = str('ZoneInfo key', args[0], 255);
    if (key.startsWith('/')) fail(`ZoneInfo keys may not be absolute paths, got: ${shown(key)}`);
    // zoneinfo compares the key with os.path.normpath(key): empty, '.' and '..' segments or a
    // trailing '/' change it, and such a key raises ValueError.
    if (key.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) fail(`ZoneInfo keys must be normalized relative paths, got: ${shown(key)}`);
    if (!ZONE_NAME.test(key)) fail(`ZoneInfo key ${shown(key)} is not a valid zone name`);
    const fromCache = args[1];
    if (typeof fromCache !== 'number' && typeof fromCache !== 'boolean' && typeof fromCache !== 'bigint') fail('ZoneInfo from_cache must be an int');
    // _unpickle only asks whether from_cache is true; the zone it makes pickles it back as 1 or 0.
    return new PyZoneInfo(key, fromCache === 0 || fromCache === 0n || fromCache === false ? 0 : 1);
  },
});

/** builtins.range → PyRange */
const range = fixed('builtins.range', {
  call(args) {
    arity('range', args, 1, 3);
    const ints = args.map((a) => int('range argument', a));
    const [start, stop, step] = ints.length === 1 ? [0, ints[0]!, 1] : [ints[0]!, ints[1]!, ints[2] ?? 1];
    if (BigInt(step) === 0n) fail('range() arg 3 must not be zero');
    return new PyRange(start, stop, step);
  },
});

/** builtins.slice → PySlice */
const slice = fixed('builtins.slice', {
  call(args) {
    arity('slice', args, 1, 3);
    return args.length === 1 ? new PySlice(null, args[0], null) : new PySlice(args[0], args[1], args[2] ?? null);
  },
});

/** pathlib paths (PurePosixPath, PureWindowsPath, …) → PyPath with the class name and parts */
const path = Object.freeze<ReconstructorDef>({
  id: 'pathlib.path',
  bind: (_module, qualname) => ({
    call(args) {
      if (args.length > 10000) fail('too many path parts');
      const parts = args.map((a) => str('path part', a, 4096));
      return PyPath.parse(qualname, parts);
    },
  }),
});


/** ipaddress addresses, networks and interfaces → PyIPAddress with the pickled int or str */
const ipaddress = Object.freeze<ReconstructorDef>({
  id: 'ipaddress',
  bind: (_module, qualname) => ({
    call(args) {
      arity(qualname, args, 1, 1);
      const v = args[0];
      if (typeof v === 'string') {
        // The parser accepts only what ipaddress accepts; an IPv6 scope id may hold any character but '%' and '/', as in CPython.
        if (v.length > 1024) fail(`${qualname}(): the str is longer than 1024 characters`);
        return new PyIPAddress(qualname, ipValue(qualname, v));
      }
      const n = int(`${qualname}()`, v);
      return new PyIPAddress(qualname, ipValue(qualname, typeof n === 'number' ? n : normalInt(n)));
    },
  }),
});

/** collections.defaultdict → PyDefaultDict (factory kept as a global reference) */
const defaultdict = fixed('collections.defaultdict', {
  call(args) {
    arity('defaultdict', args, 0, 1);
    const d = new PyDefaultDict();
    const factory = args[0] ?? null;
    if (factory !== null && !(factory instanceof PyGlobal)) mustBe('defaultdict factory', 'a class the policy names', factory);
    d.defaultFactory = factory;
    return d;
  },
});

const SSIZE_MAX = (1n << 63n) - 1n;

/** collections.deque → PyDeque (Array with maxlen) */
const deque = fixed('collections.deque', {
  call(args) {
    arity('deque', args, 0, 2);
    const d = new PyDeque();
    const items = args.length === 0 ? PyTuple.fromArray([]) : args[0]; // deque(None) raises TypeError
    if (!Array.isArray(items)) mustBe('deque() items', 'a list or tuple', items);
    const maxlen = args[1] ?? null;
    if (maxlen !== null) {
      const n = int('deque maxlen', maxlen);
      if (n < 0) fail('deque maxlen must be non-negative');
      // CPython keeps maxlen in a C ssize_t: beyond it, OverflowError.
      if (BigInt(n) > SSIZE_MAX) fail('deque maxlen does not fit a C ssize_t (CPython raises OverflowError)');
      // Bigger than any deque can be, but kept as a JS number it would come back as another value.
      if (!Number.isSafeInteger(Number(n))) unsupported(`deque maxlen ${String(n)} above 2**53 - 1 is not supported`);
      d.maxlen = Number(n);
    }
    const kept = d.maxlen === null ? items : items.slice(Math.max(0, items.length - d.maxlen));
    for (const item of kept) d.push(item);
    return d;
  },
});

/** collections.Counter → PyCounter (Map) */
const counter = fixed('collections.Counter', {
  call(args) {
    arity('Counter', args, 0, 1);
    const c = new PyCounter();
    const source = args[0];
    if (source === undefined || source === null) return c;
    if (!(source instanceof Map)) return unsupported(`Counter() from ${describe(source)} is not supported`);
    for (const [k, v] of source) {
      if (!isHashable(k)) fail('Counter keys must be hashable');
      c.set(k, v);
    }
    return c;
  },
});

/**
 * The generic object reconstructor, for any class a team names: calls and instantiations give inert
 * `PyObject` records of their args, state, listitems and dictitems; BUILD keeps the state.
 */
export const objectDef = Object.freeze<ReconstructorDef>({
  id: 'object',
  bind(module, qualname) {
    const g = new PyGlobal(module, qualname);
    return {
      call: (args) => new PyObject(g, args, 'call'),
      newObject: (args, kwargs) => new PyObject(g, args, 'new', kwargs),
      setState(target, state) {
        if (!(target instanceof PyObject) || target.state !== undefined) return fail('state applies once, to a new record');
        target.state = state;
        return target;
      },
    };
  },
});

/** Names used only as data (a defaultdict factory, a class passed as an argument): GLOBAL may name them, nothing calls them. */
const reference = fixed('reference', {});

/**
 * `copyreg._reconstructor(cls, base, state)`: `object.__new__(cls)` when base is `object` (cls must
 * be allowed with "new"; a later BUILD goes to cls's reconstructor), or `base(state)` for the
 * builtin types.
 */
export function reconstructorCall(args: readonly unknown[], context: ReconstructContext): unknown {
  arity('_reconstructor', args, 3, 3);
  const [cls, base, state] = args;
  if (!(cls instanceof PyGlobal) || !(base instanceof PyGlobal)) return fail('_reconstructor() needs two classes');
  if (base.module === 'builtins' && base.qualname === 'object') {
    if (state !== null) fail('_reconstructor() with base object takes no state');
    const rec: Reconstructor | undefined = context.reconstructorOf(cls);
    if (rec?.newObject === undefined) throw new ReconstructorRefusal(cls.module, cls.qualname, 'new');
    const made = rec.newObject(EMPTY_TUPLE, null, context);
    if (typeof made === 'object' && made !== null) context.made(made, rec);
    return made;
  }
  if (cls.module !== 'builtins' || base.module !== 'builtins' || cls.qualname !== base.qualname) {
    return unsupported(`_reconstructor() of ${shown(cls.toString())} from ${shown(base.toString())} is not supported`);
  }
  const target = RECONSTRUCTIBLE.get(base.qualname);
  if (target?.call === undefined) return unsupported(`_reconstructor() of builtins.${base.qualname} is not supported`);
  return target.call(state === null ? [] : [state], context);
}

export const STDLIB_DEFS: readonly ReconstructorDef[] = [
  decimal,
  fraction,
  uuid,
  zoneinfo,
  range,
  slice,
  path,
  ipaddress,
  defaultdict,
  deque,
  counter,
  objectDef,
  reference,
];
