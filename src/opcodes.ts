/**
 * The one opcode table. Names, bytes, argument kinds and stack effects are spelled exactly as
 * CPython's `pickletools` spells them; the unpickler's dispatch, the disassembler, the auditor and
 * (later) the pickler all derive from this list. `test/opcodes.test.ts` checks it against
 * `pickletools.opcodes` as dumped by `corpus/generate.py`.
 */

/** How an opcode's argument is laid out after the opcode byte. */
export const ARG_KINDS = {
  /** one-byte unsigned integer */
  uint1: { size: 1 },
  /** two-byte unsigned little-endian integer */
  uint2: { size: 2 },
  /** four-byte signed little-endian integer */
  int4: { size: 4 },
  /** four-byte unsigned little-endian integer */
  uint4: { size: 4 },
  /** eight-byte unsigned little-endian integer */
  uint8: { size: 8 },
  /** eight-byte big-endian IEEE-754 double */
  float8: { size: 8 },
  /** uint1 length, then that many bytes of two's complement little-endian integer */
  long1: { size: 'len1' },
  /** int4 length, then that many bytes of two's complement little-endian integer */
  long4: { size: 'len4' },
  /** uint1 length, then that many bytes (a Python 2 str) */
  string1: { size: 'len1' },
  /** int4 length, then that many bytes (a Python 2 str) */
  string4: { size: 'len4' },
  /** uint1 length, then that many bytes */
  bytes1: { size: 'len1' },
  /** uint4 length, then that many bytes */
  bytes4: { size: 'len4' },
  /** uint8 length, then that many bytes */
  bytes8: { size: 'len8' },
  /** uint8 length, then that many bytes of a bytearray */
  bytearray8: { size: 'len8' },
  /** uint1 length, then that many bytes of UTF-8 */
  unicodestring1: { size: 'len1' },
  /** uint4 length, then that many bytes of UTF-8 */
  unicodestring4: { size: 'len4' },
  /** uint8 length, then that many bytes of UTF-8 */
  unicodestring8: { size: 'len8' },
  /** decimal digits up to a newline (00 and 01 mean False and True) */
  decimalnl_short: { size: 'line' },
  /** decimal digits up to a newline, optionally ending in L */
  decimalnl_long: { size: 'line' },
  /** a float repr up to a newline */
  floatnl: { size: 'line' },
  /** a quoted Python 2 string literal with escapes, up to a newline */
  stringnl: { size: 'line' },
  /** raw bytes up to a newline */
  stringnl_noescape: { size: 'line' },
  /** two newline-terminated lines: module, then qualified name */
  stringnl_noescape_pair: { size: 'line2' },
  /** raw-unicode-escape text up to a newline */
  unicodestringnl: { size: 'line' },
} as const;

export type ArgKindName = keyof typeof ARG_KINDS;

/** Stack item kinds as pickletools names them (`markobject` is `mark`, `stackslice` a run above a mark). */
export type StackKind =
  | 'any' | 'int' | 'int_or_bool' | 'bool' | 'None' | 'float' | 'str' | 'bytes' | 'bytes_or_str'
  | 'bytearray' | 'buffer' | 'list' | 'tuple' | 'dict' | 'set' | 'frozenset' | 'mark' | 'stackslice';

export interface OpcodeInfo {
  readonly name: string;
  /** The opcode byte. */
  readonly code: number;
  readonly arg: ArgKindName | null;
  /** The first protocol that emits it. */
  readonly proto: number;
  readonly before: readonly StackKind[];
  readonly after: readonly StackKind[];
  /** True when the opcode can resolve a name or apply a callable; the policy decides these. */
  readonly reachesCallable: boolean;
  readonly doc: string;
}

function op(
  name: string, char: string, arg: ArgKindName | null, proto: number,
  before: StackKind[], after: StackKind[], doc: string, reachesCallable = false,
): OpcodeInfo {
  return { name, code: char.charCodeAt(0), arg, proto, before, after, reachesCallable, doc };
}

/** All 68 opcodes of protocols 0-5, in pickletools' order. */
export const OPCODES = [
  op('INT', 'I', 'decimalnl_short', 0, [], ['int_or_bool'], 'push an int (or a bool, for 00/01) written in decimal'),
  op('BININT', 'J', 'int4', 1, [], ['int'], 'push a signed 4-byte int'),
  op('BININT1', 'K', 'uint1', 1, [], ['int'], 'push an unsigned 1-byte int'),
  op('BININT2', 'M', 'uint2', 1, [], ['int'], 'push an unsigned 2-byte int'),
  op('LONG', 'L', 'decimalnl_long', 0, [], ['int'], 'push an int of any size written in decimal'),
  op('LONG1', '\x8a', 'long1', 2, [], ['int'], 'push an int from up to 255 bytes of two\'s complement'),
  op('LONG4', '\x8b', 'long4', 2, [], ['int'], 'push an int from a 4-byte-counted two\'s complement'),
  op('STRING', 'S', 'stringnl', 0, [], ['bytes_or_str'], 'push a Python 2 str from a quoted literal'),
  op('BINSTRING', 'T', 'string4', 1, [], ['bytes_or_str'], 'push a Python 2 str with a 4-byte length'),
  op('SHORT_BINSTRING', 'U', 'string1', 1, [], ['bytes_or_str'], 'push a Python 2 str with a 1-byte length'),
  op('BINBYTES', 'B', 'bytes4', 3, [], ['bytes'], 'push bytes with a 4-byte length'),
  op('SHORT_BINBYTES', 'C', 'bytes1', 3, [], ['bytes'], 'push bytes with a 1-byte length'),
  op('BINBYTES8', '\x8e', 'bytes8', 4, [], ['bytes'], 'push bytes with an 8-byte length'),
  op('BYTEARRAY8', '\x96', 'bytearray8', 5, [], ['bytearray'], 'push a bytearray with an 8-byte length'),
  op('NEXT_BUFFER', '\x97', null, 5, [], ['buffer'], 'push the next out-of-band buffer'),
  op('READONLY_BUFFER', '\x98', null, 5, ['buffer'], ['buffer'], 'make the buffer on top of the stack read-only'),
  op('NONE', 'N', null, 0, [], ['None'], 'push None'),
  op('NEWTRUE', '\x88', null, 2, [], ['bool'], 'push True'),
  op('NEWFALSE', '\x89', null, 2, [], ['bool'], 'push False'),
  op('UNICODE', 'V', 'unicodestringnl', 0, [], ['str'], 'push a str from a raw-unicode-escape line'),
  op('SHORT_BINUNICODE', '\x8c', 'unicodestring1', 4, [], ['str'], 'push a str of UTF-8 with a 1-byte length'),
  op('BINUNICODE', 'X', 'unicodestring4', 1, [], ['str'], 'push a str of UTF-8 with a 4-byte length'),
  op('BINUNICODE8', '\x8d', 'unicodestring8', 4, [], ['str'], 'push a str of UTF-8 with an 8-byte length'),
  op('FLOAT', 'F', 'floatnl', 0, [], ['float'], 'push a float written as text'),
  op('BINFLOAT', 'G', 'float8', 1, [], ['float'], 'push a big-endian 8-byte float'),
  op('EMPTY_LIST', ']', null, 1, [], ['list'], 'push an empty list'),
  op('APPEND', 'a', null, 0, ['list', 'any'], ['list'], 'append the top item to the list below it'),
  op('APPENDS', 'e', null, 1, ['list', 'mark', 'stackslice'], ['list'], 'extend the list below the mark with the items above it'),
  op('LIST', 'l', null, 0, ['mark', 'stackslice'], ['list'], 'replace the items above the mark with a list of them'),
  op('EMPTY_TUPLE', ')', null, 1, [], ['tuple'], 'push an empty tuple'),
  op('TUPLE', 't', null, 0, ['mark', 'stackslice'], ['tuple'], 'replace the items above the mark with a tuple of them'),
  op('TUPLE1', '\x85', null, 2, ['any'], ['tuple'], 'replace the top item with a 1-tuple'),
  op('TUPLE2', '\x86', null, 2, ['any', 'any'], ['tuple'], 'replace the top two items with a 2-tuple'),
  op('TUPLE3', '\x87', null, 2, ['any', 'any', 'any'], ['tuple'], 'replace the top three items with a 3-tuple'),
  op('EMPTY_DICT', '}', null, 1, [], ['dict'], 'push an empty dict'),
  op('DICT', 'd', null, 0, ['mark', 'stackslice'], ['dict'], 'replace the key/value pairs above the mark with a dict'),
  op('SETITEM', 's', null, 0, ['dict', 'any', 'any'], ['dict'], 'set one key to one value in the dict below them'),
  op('SETITEMS', 'u', null, 1, ['dict', 'mark', 'stackslice'], ['dict'], 'set the key/value pairs above the mark in the dict below it'),
  op('EMPTY_SET', '\x8f', null, 4, [], ['set'], 'push an empty set'),
  op('ADDITEMS', '\x90', null, 4, ['set', 'mark', 'stackslice'], ['set'], 'add the items above the mark to the set below it'),
  op('FROZENSET', '\x91', null, 4, ['mark', 'stackslice'], ['frozenset'], 'replace the items above the mark with a frozenset'),
  op('POP', '0', null, 0, ['any'], [], 'discard the top item (or the topmost mark when nothing is above it)'),
  op('DUP', '2', null, 0, ['any'], ['any', 'any'], 'push the top item again'),
  op('MARK', '(', null, 0, [], ['mark'], 'push a mark'),
  op('POP_MARK', '1', null, 1, ['mark', 'stackslice'], [], 'discard the topmost mark and everything above it'),
  op('GET', 'g', 'decimalnl_short', 0, [], ['any'], 'push the memo entry with a decimal index'),
  op('BINGET', 'h', 'uint1', 1, [], ['any'], 'push the memo entry with a 1-byte index'),
  op('LONG_BINGET', 'j', 'uint4', 1, [], ['any'], 'push the memo entry with a 4-byte index'),
  op('PUT', 'p', 'decimalnl_short', 0, [], [], 'store the top item in the memo under a decimal index'),
  op('BINPUT', 'q', 'uint1', 1, [], [], 'store the top item in the memo under a 1-byte index'),
  op('LONG_BINPUT', 'r', 'uint4', 1, [], [], 'store the top item in the memo under a 4-byte index'),
  op('MEMOIZE', '\x94', null, 4, ['any'], ['any'], 'store the top item in the memo under the next free index'),
  op('EXT1', '\x82', 'uint1', 2, [], ['any'], 'push the object registered under a 1-byte extension code', true),
  op('EXT2', '\x83', 'uint2', 2, [], ['any'], 'push the object registered under a 2-byte extension code', true),
  op('EXT4', '\x84', 'int4', 2, [], ['any'], 'push the object registered under a 4-byte extension code', true),
  op('GLOBAL', 'c', 'stringnl_noescape_pair', 0, [], ['any'], 'push the global named by two lines, module and name', true),
  op('STACK_GLOBAL', '\x93', null, 4, ['str', 'str'], ['any'], 'push the global named by the two strs on the stack', true),
  op('REDUCE', 'R', null, 0, ['any', 'any'], ['any'], 'call the callable below with the argument tuple on top', true),
  op('BUILD', 'b', null, 0, ['any', 'any'], ['any'], 'give the object below the state on top (__setstate__ or dict update)', true),
  op('INST', 'i', 'stringnl_noescape_pair', 0, ['mark', 'stackslice'], ['any'], 'instantiate the named class with the items above the mark', true),
  op('OBJ', 'o', null, 1, ['mark', 'any', 'stackslice'], ['any'], 'instantiate the class just above the mark with the items after it', true),
  op('NEWOBJ', '\x81', null, 2, ['any', 'any'], ['any'], 'cls.__new__(cls, *args)', true),
  op('NEWOBJ_EX', '\x92', null, 4, ['any', 'any', 'any'], ['any'], 'cls.__new__(cls, *args, **kwargs)', true),
  op('PROTO', '\x80', 'uint1', 2, [], [], 'declare the protocol version'),
  op('STOP', '.', null, 0, ['any'], [], 'end of the pickle: the top item is the result'),
  op('FRAME', '\x95', 'uint8', 4, [], [], 'announce the length of the next frame'),
  op('PERSID', 'P', 'stringnl_noescape', 0, [], ['any'], 'push the object a persistent id line names', true),
  op('BINPERSID', 'Q', null, 1, ['any'], ['any'], 'push the object the persistent id on the stack names', true),
] as const satisfies readonly OpcodeInfo[];

export type OpcodeName = (typeof OPCODES)[number]['name'];

/** Opcode bytes by name: `OP.BININT1 === 0x4b`. */
export const OP = Object.freeze(
  Object.fromEntries(OPCODES.map((o) => [o.name, o.code])),
) as { readonly [K in OpcodeName]: number };

/** Opcode descriptions by byte; `undefined` for the 188 bytes that are no opcode. */
export const OPCODE_BY_BYTE: readonly (OpcodeInfo | undefined)[] = (() => {
  const table: (OpcodeInfo | undefined)[] = new Array(256).fill(undefined);
  for (const o of OPCODES) table[o.code] = o;
  return table;
})();

/** The highest protocol this library reads and writes. */
export const HIGHEST_PROTOCOL = 5;
/** CPython 3.8+'s default protocol. */
export const DEFAULT_PROTOCOL = 4;

/** `{ name, byte }` of an opcode, as error objects carry it. */
export function opcodeRef(byte: number): { name: string; byte: number } {
  return { name: OPCODE_BY_BYTE[byte]?.name ?? `<unknown 0x${byte.toString(16).padStart(2, '0')}>`, byte };
}
