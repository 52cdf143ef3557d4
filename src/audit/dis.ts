/**
 * `disassemble`: the text CPython's `pickletools.dis(pickle, out, memo, indentlevel, annotate)`
 * writes, character for character, including its sanity checks (MARK matching, memo use, stack
 * underflow). Where pickletools raises, this throws a `PickleError` after writing exactly the
 * lines pickletools printed before raising; `disassemble()` attaches them to the error as
 * `partialOutput`.
 */
import { MalformedPickleError, PickleError } from '../errors.js';
import type { OpcodeInfo, StackKind } from '../opcodes.js';
import { decodeStringLiteral } from '../unpickler/text.js';
import { genops, type GenOp, type OpArg } from './genops.js';
import { pyLen, reprBool, reprByteArray, reprBytes, reprFloat, reprInt, reprStr } from './pyrepr.js';

/** The disassembler's memo: what each memo key holds, by the key's decimal text. */
export type DisMemo = Map<string, StackKind>;

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
  /** Blanks by which each MARK level indents. Default 4. */
  indentlevel?: number;
  /** Where the pickle starts in `bytes`. Default 0. Positions printed are offsets in `bytes`. */
  start?: number;
  /** Most decimal digits in an INT / LONG line. Default 4300. */
  maxIntDigits?: number;
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

function fail(code: string, message: string, g: GenOp): never {
  throw new MalformedPickleError(code, message, { offset: g.pos, opcode: g.op.code });
}

/** The text pickletools shows for a line read by `read_stringnl(decode=True, stripquotes=False)`. */
function escapedLineText(bytes: Uint8Array, s: number, e: number, g: GenOp): string {
  let raw: Uint8Array = bytes.subarray(s, e);
  if (raw.includes(0x5c)) {
    // codecs.escape_decode, through the STRING literal decoder: quote the line, decode it.
    const quoted = new Uint8Array(raw.length + 2);
    quoted[0] = 0x27;
    quoted.set(raw, 1);
    quoted[raw.length + 1] = 0x27;
    const decoded = decodeStringLiteral(quoted, 0, quoted.length);
    if (decoded === null) fail('bad_escape', `${g.op.name}: invalid escape in the argument line`, g);
    raw = decoded;
  }
  return asciiText(raw, g);
}

/** pickletools decodes these arguments as ASCII and raises UnicodeDecodeError otherwise. */
function asciiText(raw: Uint8Array, g: GenOp): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] >= 0x80) {
      fail(
        'non_ascii_text',
        `${g.op.name}: pickletools cannot show the byte 0x${raw[i].toString(16)} of this argument ('ascii' codec can't decode it)`,
        g,
      );
    }
    out += String.fromCharCode(raw[i]);
  }
  return out;
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

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
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
    while (k < count && i < b.length && isHex(b[i])) {
      v = v * 16 + parseInt(String.fromCharCode(b[i]), 16);
      i++;
      k++;
    }
    out.push(v);
  }
  return out;
}

/** `repr(arg)` as pickletools prints it for this opcode's argument. */
function reprArg(bytes: Uint8Array, g: GenOp): string {
  const { op, arg } = g;
  switch (op.arg) {
    case 'uint1':
    case 'uint2':
    case 'int4':
    case 'uint4':
    case 'uint8':
    case 'long1':
    case 'long4':
    case 'decimalnl_long':
      return reprInt(arg as number | bigint);
    case 'decimalnl_short':
      return typeof arg === 'boolean' ? reprBool(arg) : reprInt(arg as number | bigint);
    case 'float8':
    case 'floatnl':
      return reprFloat(arg as number);
    case 'string1':
    case 'string4':
      // pickletools decodes a Python 2 str as latin-1.
      return reprStr(Array.from(arg as Uint8Array));
    case 'stringnl':
      return reprStr(asciiText(arg as Uint8Array, g));
    case 'bytes1':
    case 'bytes4':
    case 'bytes8':
      return reprBytes(arg as Uint8Array);
    case 'bytearray8':
      return reprByteArray(arg as Uint8Array);
    case 'unicodestring1':
    case 'unicodestring4':
    case 'unicodestring8': {
      const s = arg as string;
      if (hasSurrogatePair(s)) {
        const headerLen = op.arg === 'unicodestring1' ? 1 : op.arg === 'unicodestring4' ? 4 : 8;
        const raw = bytes.subarray(g.pos + 1 + headerLen, g.end);
        return reprStr(utf8CodePoints(raw));
      }
      return reprStr(s);
    }
    case 'unicodestringnl': {
      const s = arg as string;
      if (hasSurrogatePair(s)) return reprStr(rawUnicodeEscapeCodePoints(bytes.subarray(g.pos + 1, g.end - 1)));
      return reprStr(s);
    }
    case 'stringnl_noescape':
      return reprStr(escapedLineText(bytes, g.pos + 1, g.end - 1, g));
    case 'stringnl_noescape_pair': {
      const nl = bytes.indexOf(0x0a, g.pos + 1);
      const first = escapedLineText(bytes, g.pos + 1, nl, g);
      const second = escapedLineText(bytes, nl + 1, g.end - 1, g);
      return reprStr(`${first} ${second}`);
    }
    case null:
      return 'None';
    default: {
      const unreachable: never = op.arg;
      throw new Error(`disassemble: no repr for argument kind ${String(unreachable)}`);
    }
  }
}

function memoKey(arg: OpArg): string {
  if (typeof arg === 'boolean') return arg ? '1' : '0';
  if (typeof arg === 'number' || typeof arg === 'bigint') return reprInt(arg);
  return String(arg);
}

/** `repr(opcode.code)[1:-1]`: the opcode byte as pickletools shows it in the second column. */
function codeText(op: OpcodeInfo): string {
  return reprStr([op.code]).slice(1, -1);
}

/**
 * Disassemble the pickle at `options.start` (default 0) through its first STOP, calling `write`
 * with the output in the pieces pickletools prints it (each line's position, then the rest of
 * the line). Throws the PickleError that pickletools' ValueError (or IndexError) corresponds to,
 * after writing exactly what pickletools writes before raising.
 */
export function disassembleTo(bytes: Uint8Array, write: (text: string) => void, options: DisOptions = {}): DisResult {
  const memo: DisMemo = typeof options.memo === 'object' && options.memo !== null ? options.memo : new Map();
  const indentChunk = ' '.repeat(Math.max(0, Math.trunc(options.indentlevel ?? 4)));
  const annotate = Math.trunc(options.annotate ?? 0);
  let annocol = annotate;
  const stack: StackKind[] = [];
  const markstack: number[] = [];
  let maxproto = -1;
  let end = options.start ?? 0;

  const genOptions = options.maxIntDigits === undefined ? {} : { maxIntDigits: options.maxIntDigits };
  for (const g of genops(bytes, options.start ?? 0, genOptions)) {
    const { op, arg, pos } = g;
    end = g.end;
    const name = op.name;
    // pickletools' reader decodes the argument (and may raise) before anything of the line is out.
    const argText = op.arg !== null ? reprArg(bytes, g) : null;
    write(`${String(pos).padStart(5)}: `);
    let line = `${codeText(op).padEnd(4)} ${indentChunk.repeat(markstack.length)}${name}`;

    maxproto = Math.max(maxproto, op.proto);
    const before = op.before;
    let after: readonly StackKind[] = op.after;
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
          if (stack.length === 0) fail('stack_underflow', `${name}: the MARK at ${markpos} is no longer on the stack`, g);
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
        key = memoKey(arg);
      }
      if (memo.has(key)) {
        errormsg = `memo key ${argText ?? 'None'} already defined`;
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
      const v = memo.get(memoKey(arg));
      if (v !== undefined) {
        after = [v];
      } else {
        errormsg = `memo key ${argText ?? 'None'} has never been stored into`;
        errcode = 'memo_key_missing';
      }
    }

    if (op.arg !== null || markmsg !== null) {
      line += ' '.repeat(Math.max(0, 10 - name.length));
      if (argText !== null) line += ' ' + argText;
      if (markmsg !== null) line += ' ' + markmsg;
    }
    if (annotate) {
      line += ' '.repeat(Math.max(0, annocol - pyLen(line)));
      annocol = pyLen(line);
      if (annocol > 50) annocol = annotate;
      line += ' ' + op.doc;
    }
    write(`${line}\n`);

    if (errormsg !== null) fail(errcode, `${name}: ${errormsg}`, g);

    // The opcode's stack effect.
    if (stack.length < numtopop) {
      fail('stack_underflow', `${name}: tries to pop ${numtopop} items from stack with only ${stack.length} items`, g);
    }
    if (numtopop) stack.length -= numtopop;
    if (after.includes(MARK)) markstack.push(pos);
    stack.push(...after);

    if (name === 'STOP') {
      write(`highest protocol among opcodes = ${maxproto}\n`);
      if (stack.length > 0) fail('stack_not_empty', `stack not empty after STOP: [${stack.join(', ')}]`, g);
    }
  }
  return { end, highestProtocol: maxproto };
}

/**
 * The text `pickletools.dis(bytes, out, memo, indentlevel, annotate)` writes. On a pickle that
 * pickletools rejects, throws the PickleError with the text written so far in `partialOutput`.
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
