/**
 * `disassemble`: the text CPython's `pickletools.dis(pickle, out, memo, indentlevel, annotate)`
 * writes, character for character, including its sanity checks (MARK matching, memo use, stack
 * underflow). Where pickletools raises, this throws a `PickleError` after writing exactly the
 * lines pickletools printed before raising; `disassemble()` attaches them to the error as
 * `partialOutput`.
 *
 * One deliberate difference: pickletools indents each line by its MARK depth, which makes its
 * output quadratic in the input (20 KB of MARKs would be gigabytes of blanks). Here the indentation
 * stops growing at {@link MAX_INDENT_DEPTH} levels, so the text is linear in the input; below that
 * depth the output is identical.
 *
 * Protocol-0 text arguments are read here with pickletools' own rules (`int(s)`, `float(s)`,
 * `codecs.escape_decode` + ASCII), which are not the loader's rules that `genops` follows: `I010`
 * shows as 10 (the loader reads 8), `p010` is memo key 10, `F1_0` is 10.0, `I0x10` is an error.
 */
import { LimitExceededError, MalformedPickleError, PickleError, TruncatedPickleError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { OPCODE_BY_BYTE, type ArgKindName, type OpcodeInfo, type StackKind } from '../opcodes.js';
import { decodeLatin1, decodeLong, decodeRawUnicodeEscape, decodeStringLiteral, hexVal, isSpace, pyLongFromString } from '../unpickler/text.js';
import { OpReader } from './genops.js';
import { pyLen, reprBool, reprByteArray, reprBytes, reprFloat, reprInt, reprStr } from './pyrepr.js';

/** The disassembler's memo: what each memo key holds, by the key's decimal text. */
export type DisMemo = Map<string, StackKind>;

/** MARK depth beyond which lines are indented no further (pickletools has no such cap). */
export const MAX_INDENT_DEPTH = 32;

export interface DisOptions {
  /**
   * Non-zero: append each opcode's one-line description from pickletools, starting near this
   * column (`python -m pickletools -a` uses 30). Default 0, no annotations.
   */
  annotate?: number;
  /**
   * A memo to use and update, so that several pickles written by one pickler with one memo can
   * be disassembled in turn (pickletools' `memo` argument). `true`, `false` or absent: a new one.
   */
  memo?: boolean | DisMemo;
  /** Blanks by which each MARK level indents, up to {@link MAX_INDENT_DEPTH} levels. Default 4. */
  indentlevel?: number;
  /** Where the pickle starts in `bytes`. Default 0. Positions printed are offsets in `bytes`. */
  start?: number;
  /** Most decimal digits in an int read or shown (Python's `sys.get_int_max_str_digits()`). Default 4300. */
  maxIntDigits?: number;
  /** Most bytes (or characters) of a bytes or str argument shown, the rest elided with `…`. Default: all, as pickletools. */
  maxArgShown?: number;
}

export interface DisResult {
  /** Offset just after the pickle's STOP opcode. */
  end: number;
  /** The highest `proto` among the opcodes, as the trailer line states it. */
  highestProtocol: number;
}

/** A `PickleError` thrown by `disassemble()`, with the text written before it. */
export type DisassemblyError = PickleError & { partialOutput: string };

const MARK: StackKind = 'mark';
const NL = 0x0a;

function fail(code: string, message: string, pos: number, op: OpcodeInfo): never {
  throw new MalformedPickleError(code, `${op.name}: ${message}`, { offset: pos, opcode: op.code });
}

function tooManyDigits(maxDigits: number, pos: number, op: OpcodeInfo): never {
  throw new LimitExceededError('maxIntDigits', maxDigits, `${op.name}: the int has too many decimal digits to show`, { offset: pos, opcode: op.code });
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

const FLOAT_BODY = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * `float(b)` of a bytes object b[s..e): surrounding whitespace, one sign, `inf`/`infinity`/`nan`
 * in any case, or a decimal literal with underscores between digits; overflow is ±inf. Else null.
 */
function pyFloat(b: Uint8Array, s: number, e: number): number | null {
  while (s < e && isSpace(b[s])) s++;
  while (e > s && isSpace(b[e - 1])) e--;
  let text = '';
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 0x5f) {
      if (!(i > s && isDigit(b[i - 1]) && i + 1 < e && isDigit(b[i + 1]))) return null;
      continue;
    }
    if (c === 0 || c >= 0x80) return null;
    text += String.fromCharCode(c);
  }
  let sign = 1;
  if (text[0] === '+' || text[0] === '-') {
    if (text[0] === '-') sign = -1;
    text = text.slice(1);
  }
  const word = text.toLowerCase();
  if (word === 'inf' || word === 'infinity') return sign * Infinity;
  if (word === 'nan') return NaN;
  if (!FLOAT_BODY.test(text)) return null;
  return sign * Number(text);
}

/** The text pickletools shows for a line it decodes with `codecs.escape_decode` and then as ASCII. */
function escapedLineText(bytes: Uint8Array, s: number, e: number, pos: number, op: OpcodeInfo): string {
  let raw: Uint8Array = bytes.subarray(s, e);
  if (raw.includes(0x5c)) {
    // codecs.escape_decode, through the STRING literal decoder: quote the line, decode it.
    const quoted = new Uint8Array(raw.length + 2);
    quoted[0] = 0x27;
    quoted.set(raw, 1);
    quoted[raw.length + 1] = 0x27;
    const decoded = decodeStringLiteral(quoted, 0, quoted.length);
    if (decoded === null) fail('bad_escape', 'invalid escape in the argument line', pos, op);
    raw = decoded;
  }
  return asciiText(raw, pos, op);
}

/** pickletools decodes these arguments as ASCII and raises UnicodeDecodeError otherwise. */
function asciiText(raw: Uint8Array, pos: number, op: OpcodeInfo): string {
  const bad = raw.findIndex((c) => c >= 0x80);
  if (bad >= 0) fail('non_ascii_text', `pickletools cannot show the byte 0x${raw[bad]!.toString(16)} of this argument ('ascii' codec can't decode it)`, pos, op);
  return decodeLatin1(raw, 0, raw.length);
}

function hasSurrogatePair(s: string): boolean {
  for (let i = 0; i + 1 < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return true;
    }
  }
  return false;
}

/**
 * Code points of already-validated UTF-8 (surrogatepass): unlike a JavaScript string, this keeps a
 * high surrogate followed by a low one as the two code points Python sees.
 */
function utf8CodePoints(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length;) {
    const c = b[i];
    if (c < 0x80) {
      out.push(c);
      i += 1;
    } else if (c < 0xe0) {
      out.push(((c & 0x1f) << 6) | (b[i + 1] & 0x3f));
      i += 2;
    } else if (c < 0xf0) {
      out.push(((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f));
      i += 3;
    } else {
      out.push(((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f));
      i += 4;
    }
  }
  return out;
}

/** Code points of an already-validated raw-unicode-escape line, each escape its own code point. */
function rawUnicodeEscapeCodePoints(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length;) {
    const c = b[i++];
    if (c !== 0x5c || i >= b.length) {
      out.push(c);
      continue;
    }
    const d = b[i++];
    const count = d === 0x75 ? 4 : d === 0x55 ? 8 : 0;
    if (count === 0) {
      out.push(c, d);
      continue;
    }
    let v = 0;
    let k = 0;
    while (k < count && i < b.length && hexVal(b[i]) >= 0) {
      v = v * 16 + hexVal(b[i]);
      i++;
      k++;
    }
    out.push(v);
  }
  return out;
}

/** `repr(n)` of an int, or null when Python refuses to convert it (more than `maxDigits` digits). */
function reprIntLimited(n: number | bigint, maxDigits: number): string | null {
  const s = reprInt(n);
  return s.length - (s[0] === '-' ? 1 : 0) > maxDigits ? null : s;
}

/**
 * The argument of LONG1 / LONG4 at `pos` (a little-endian two's complement count of bytes), read
 * here rather than by `OpReader` so that a huge one costs a scan: its magnitude is judged from
 * its significant bytes, and only those are converted.
 */
function readLongArg(bytes: Uint8Array, pos: number, op: OpcodeInfo, maxDigits: number): [number, ArgShown] {
  const four = op.arg === 'long4';
  const s = pos + 1 + (four ? 4 : 1);
  if (s > bytes.length) throw new TruncatedPickleError(`not enough data in stream to read ${op.arg}`, { offset: pos, opcode: op.code });
  const len = four ? new DataView(bytes.buffer, bytes.byteOffset + pos + 1, 4).getInt32(0, true) : bytes[pos + 1];
  if (len < 0) fail('negative_length', `long4 byte count < 0: ${len}`, pos, op);
  if (len > bytes.length - s) throw new TruncatedPickleError(`${op.name}: expected ${len} bytes in a ${op.arg}, but only ${bytes.length - s} remain`, { offset: pos, opcode: op.code });
  const end = s + len;
  // Drop high bytes that only extend the sign: the value stays the same.
  const ext = len > 0 && bytes[end - 1] >= 0x80 ? 0xff : 0x00;
  let e = end;
  while (e - s > 1 && bytes[e - 1] === ext && (bytes[e - 2] & 0x80) === (ext & 0x80)) e--;
  // 8 bits per byte against log2(10) bits per decimal digit, with a byte to spare.
  if ((e - s - 1) * 8 > maxDigits * 3.3219280948873626 + 8) return [end, { text: '', key: '', reprFails: true }];
  const t = reprIntLimited(decodeLong(bytes, s, e), maxDigits);
  return [end, t === null ? { text: '', key: '', reprFails: true } : { text: t, key: t }];
}

/** A decoded argument, ready to print: `repr(arg)`, its memo key when it is an int, or an error to raise after the position. */
interface ArgShown {
  text: string;
  key: string;
  /** `repr(arg)` raised: pickletools has printed the position already. */
  reprFails?: boolean;
}

type TextKind = 'decimalnl_short' | 'decimalnl_long' | 'floatnl' | 'stringnl' | 'stringnl_noescape' | 'stringnl_noescape_pair' | 'unicodestringnl';

const TEXT_KINDS: ReadonlySet<string> = new Set<TextKind>([
  'decimalnl_short', 'decimalnl_long', 'floatnl', 'stringnl', 'stringnl_noescape', 'stringnl_noescape_pair', 'unicodestringnl',
]);

function isTextKind(kind: ArgKindName | null): kind is TextKind {
  return kind !== null && TEXT_KINDS.has(kind);
}

/**
 * Reads the newline-terminated argument(s) of a protocol-0 text opcode at `pos` as pickletools
 * reads them. Returns the offset after the argument and what it shows.
 */
function readTextArg(bytes: Uint8Array, pos: number, op: OpcodeInfo, kind: TextKind, maxDigits: number): [number, ArgShown] {
  const lineEnd = (from: number): number => {
    const e = bytes.indexOf(NL, from);
    if (e < 0) throw new TruncatedPickleError(`no newline found when trying to read ${kind}`, { offset: pos, opcode: op.code });
    return e;
  };
  const s = pos + 1;
  const e = lineEnd(s);
  let text: string;
  switch (kind) {
    case 'decimalnl_short':
    case 'decimalnl_long': {
      if (kind === 'decimalnl_short' && e - s === 2 && bytes[s] === 0x30 && (bytes[s + 1] === 0x30 || bytes[s + 1] === 0x31)) {
        const b = bytes[s + 1] === 0x31;
        return [e + 1, { text: reprBool(b), key: b ? '1' : '0' }];
      }
      // int(b) of the line, base 10: what GET/PUT lines mean to the loader too (a NUL is an error here, not an end).
      const v = pyLongFromString(bytes, s, kind === 'decimalnl_long' && e > s && bytes[e - 1] === 0x4c ? e - 1 : e, 10, maxDigits);
      if (v === 'too_many_digits') tooManyDigits(maxDigits, pos, op);
      if (v === null) fail('bad_int', 'invalid literal for int() with base 10', pos, op);
      const t = reprInt(v);
      return [e + 1, { text: t, key: t }];
    }
    case 'floatnl': {
      const v = pyFloat(bytes, s, e);
      if (v === null) fail('bad_float', 'could not convert string to float', pos, op);
      text = reprFloat(v);
      break;
    }
    case 'stringnl': {
      // Quotes: the first byte, and the same byte last (a lone quote is the empty string).
      const q = bytes[s];
      if (e === s || (q !== 0x22 && q !== 0x27)) fail('bad_string_literal', 'no string quotes around the argument', pos, op);
      if (bytes[e - 1] !== q) fail('bad_string_literal', 'string quote not found at both ends of the argument', pos, op);
      text = reprStr(escapedLineText(bytes, s + 1, Math.max(s + 1, e - 1), pos, op));
      break;
    }
    case 'stringnl_noescape':
      text = reprStr(escapedLineText(bytes, s, e, pos, op));
      break;
    case 'stringnl_noescape_pair': {
      const first = escapedLineText(bytes, s, e, pos, op);
      const e2 = lineEnd(e + 1);
      const second = escapedLineText(bytes, e + 1, e2, pos, op);
      return [e2 + 1, { text: reprStr(`${first} ${second}`), key: '' }];
    }
    case 'unicodestringnl': {
      const v = decodeRawUnicodeEscape(bytes, s, e);
      if (v === null) fail('bad_raw_unicode_escape', "'rawunicodeescape' codec can't decode the line", pos, op);
      text = hasSurrogatePair(v) ? reprStr(rawUnicodeEscapeCodePoints(bytes.subarray(s, e))) : reprStr(v);
      break;
    }
    default: {
      const unreachable: never = kind;
      throw new Error(`disassemble: no reader for argument kind ${String(unreachable)}`);
    }
  }
  return [e + 1, { text, key: '' }];
}

/**
 * `repr(arg)` of an argument that `OpReader` decoded (every kind but the text lines); a bytes or str
 * argument longer than `max` is cut short (a page shows lines, not megabytes).
 */
function showArg(bytes: Uint8Array, r: OpReader, maxDigits: number, max = Infinity): ArgShown {
  const { op, arg } = r;
  const long = (typeof arg === 'string' || arg instanceof Uint8Array) && arg.length > max;
  const b = long && arg instanceof Uint8Array ? arg.subarray(0, max) : (arg as Uint8Array);
  let text: string;
  switch (op.arg) {
    case 'uint1':
    case 'uint2':
    case 'int4':
    case 'uint4':
    case 'uint8': {
      const t = reprIntLimited(arg as number | bigint, maxDigits);
      return t === null ? { text: '', key: '', reprFails: true } : { text: t, key: t };
    }
    case 'float8':
      return { text: reprFloat(arg as number), key: '' };
    case 'string1':
    case 'string4':
      // pickletools decodes a Python 2 str as latin-1.
      text = reprStr(decodeLatin1(b, 0, b.length));
      break;
    case 'bytes1':
    case 'bytes4':
    case 'bytes8':
      text = reprBytes(b);
      break;
    case 'bytearray8':
      text = reprByteArray(b);
      break;
    case 'unicodestring1':
    case 'unicodestring4':
    case 'unicodestring8': {
      const s = arg as string;
      // A high and a low surrogate written apart stay two code points (shown whole only).
      text = long ? reprStr(s.slice(0, max)) : hasSurrogatePair(s) ? reprStr(utf8CodePoints(bytes.subarray(r.pos + 1 + (op.arg === 'unicodestring1' ? 1 : op.arg === 'unicodestring4' ? 4 : 8), r.end))) : reprStr(s);
      break;
    }
    default:
      throw new Error(`disassemble: argument kind ${String(op.arg)} is not read by OpReader here`);
  }
  return { text: long ? `${text}… (${(arg as Uint8Array).length.toLocaleString('en')} in all)` : text, key: '' };
}

/** `repr(opcode.code)[1:-1]` padded to 4: the opcode byte as pickletools shows it in the second column. */
const CODE_COLUMN: readonly string[] = Array.from({ length: 256 }, (_, b) => reprStr([b]).slice(1, -1).padEnd(4));

/**
 * Disassemble the pickle at `options.start` (default 0) through its first STOP, calling `write`
 * with the output in the pieces pickletools prints it (each line's position, then the rest of
 * the line). Throws the PickleError that pickletools' ValueError (or IndexError) corresponds to,
 * after writing exactly what pickletools writes before raising. Linear in the input: indentation
 * stops at {@link MAX_INDENT_DEPTH} MARK levels.
 */
export function disassembleTo(bytes: Uint8Array, write: (text: string) => void, options: DisOptions = {}): DisResult {
  const memo: DisMemo = typeof options.memo === 'object' && options.memo !== null ? options.memo : new Map();
  const indentChunk = ' '.repeat(Math.max(0, Math.trunc(options.indentlevel ?? 4)));
  const indents: string[] = [];
  for (let d = 0; d <= MAX_INDENT_DEPTH; d++) indents.push(indentChunk.repeat(d));
  const annotate = Math.trunc(options.annotate ?? 0);
  const maxDigits = options.maxIntDigits ?? DEFAULT_LIMITS.maxIntDigits;
  let annocol = annotate;
  const stack: StackKind[] = [];
  const markstack: number[] = [];
  let maxproto = -1;
  const start = options.start ?? 0;
  let p = start;
  let reader: OpReader | null = null;

  for (;;) {
    // pickletools' reader decodes the argument (and may raise) before anything of the line is out.
    if (p >= bytes.length) throw new TruncatedPickleError('pickle exhausted before seeing STOP', { offset: p });
    const pos = p;
    const op = OPCODE_BY_BYTE[bytes[p]];
    let shown: ArgShown | null = null;
    if (op !== undefined && isTextKind(op.arg)) {
      [p, shown] = readTextArg(bytes, pos, op, op.arg, maxDigits);
    } else if (op !== undefined && (op.arg === 'long1' || op.arg === 'long4')) {
      [p, shown] = readLongArg(bytes, pos, op, maxDigits);
    } else {
      if (reader === null || reader.end !== pos) reader = new OpReader(bytes, pos, { maxIntDigits: maxDigits });
      reader.next();
      p = reader.end;
      if (reader.op.arg !== null) shown = showArg(bytes, reader, maxDigits, options.maxArgShown);
    }
    const { name } = op!;
    write(`${String(pos).padStart(5)}: `);
    if (shown?.reprFails) tooManyDigits(maxDigits, pos, op!);
    let line = `${CODE_COLUMN[op!.code]} ${indents[Math.min(markstack.length, MAX_INDENT_DEPTH)]}${name}`;

    maxproto = Math.max(maxproto, op!.proto);
    const before = op!.before;
    let after: readonly StackKind[] = op!.after;
    let numtopop = before.length;
    let errormsg: string | null = null;
    let errcode = '';

    // Does a MARK get popped?
    let markmsg: string | null = null;
    if (before.includes(MARK) || (name === 'POP' && stack.length > 0 && stack[stack.length - 1] === MARK)) {
      if (markstack.length > 0) {
        const markpos = markstack.pop()!;
        markmsg = `(MARK at ${markpos})`;
        // Pop everything at and above the topmost mark.
        for (;;) {
          if (stack.length === 0) fail('stack_underflow', `the MARK at ${markpos} is no longer on the stack`, pos, op!);
          if (stack[stack.length - 1] === MARK) break;
          stack.pop();
        }
        stack.pop();
        const i = before.indexOf(MARK);
        numtopop = i < 0 ? 0 : i;
      } else {
        errormsg = markmsg = 'no MARK exists on stack';
        errcode = 'no_mark';
      }
    }

    // Memo use.
    if (name === 'PUT' || name === 'BINPUT' || name === 'LONG_BINPUT' || name === 'MEMOIZE') {
      let key: string;
      if (name === 'MEMOIZE') {
        key = String(memo.size);
        markmsg = `(as ${memo.size})`;
      } else {
        key = shown!.key;
      }
      if (memo.has(key)) {
        errormsg = `memo key ${shown?.text ?? 'None'} already defined`;
        errcode = 'memo_key_redefined';
      } else if (stack.length === 0) {
        errormsg = "stack is empty -- can't store into memo";
        errcode = 'memo_store_empty_stack';
      } else if (stack[stack.length - 1] === MARK) {
        errormsg = "can't store markobject in the memo";
        errcode = 'memo_store_mark';
      } else {
        memo.set(key, stack[stack.length - 1]);
      }
    } else if (name === 'GET' || name === 'BINGET' || name === 'LONG_BINGET') {
      const v = memo.get(shown!.key);
      if (v !== undefined) {
        after = [v];
      } else {
        errormsg = `memo key ${shown!.text} has never been stored into`;
        errcode = 'memo_key_missing';
      }
    }

    if (shown !== null || markmsg !== null) {
      line += ' '.repeat(Math.max(0, 10 - name.length));
      if (shown !== null) line += ' ' + shown.text;
      if (markmsg !== null) line += ' ' + markmsg;
    }
    if (annotate) {
      line += ' '.repeat(Math.max(0, annocol - pyLen(line)));
      annocol = pyLen(line);
      if (annocol > 50) annocol = annotate;
      line += ' ' + op!.doc;
    }
    write(`${line}\n`);

    if (errormsg !== null) fail(errcode, errormsg, pos, op!);

    // The opcode's stack effect.
    if (stack.length < numtopop) fail('stack_underflow', `tries to pop ${numtopop} items from stack with only ${stack.length} items`, pos, op!);
    if (numtopop) stack.length -= numtopop;
    if (after.includes(MARK)) markstack.push(pos);
    for (const a of after) stack.push(a);

    if (name === 'STOP') {
      write(`highest protocol among opcodes = ${maxproto}\n`);
      if (stack.length > 0) {
        const shownStack = stack.length > 20 ? `${stack.slice(0, 10).join(', ')}, … ${stack.length - 20} more …, ${stack.slice(-10).join(', ')}` : stack.join(', ');
        fail('stack_not_empty', `stack not empty after STOP: [${shownStack}]`, pos, op!);
      }
      return { end: p, highestProtocol: maxproto };
    }
  }
}

/**
 * The text `pickletools.dis(bytes, out, memo, indentlevel, annotate)` writes (indentation capped at
 * {@link MAX_INDENT_DEPTH} MARK levels). On a pickle that pickletools rejects, throws the
 * PickleError with the text written so far in `partialOutput`.
 */
export function disassemble(bytes: Uint8Array, options: DisOptions = {}): string {
  const chunks: string[] = [];
  try {
    disassembleTo(bytes, (t) => chunks.push(t), options);
  } catch (err) {
    if (err instanceof PickleError) Object.assign(err, { partialOutput: chunks.join('') });
    throw err;
  }
  return chunks.join('');
}

/** The text written before a `disassemble()` error, or undefined for other errors. */
export function partialOutputOf(err: unknown): string | undefined {
  return err instanceof PickleError ? (err as Partial<DisassemblyError>).partialOutput : undefined;
}
