/**
 * Every error this library throws for bad input is a `PickleError`: a stable string `code`, the
 * byte offset where decoding stood, and the opcode it was executing. Truncated input has its own
 * class so a stream reader can wait for more bytes instead of giving up.
 */
import { opcodeRef } from './opcodes.js';

export interface OpcodeRef {
  readonly name: string;
  readonly byte: number;
}

export interface PickleErrorDetails {
  /** Byte offset of the opcode being executed (or of the byte that could not be read). */
  offset?: number;
  /** The opcode byte being executed, when there is one. */
  opcode?: number;
}

export class PickleError extends Error {
  /** A stable, snake_case identifier of what went wrong. */
  readonly code: string;
  readonly offset: number | undefined;
  readonly opcode: OpcodeRef | undefined;

  constructor(code: string, message: string, details: PickleErrorDetails = {}) {
    const opcode = details.opcode === undefined ? undefined : opcodeRef(details.opcode);
    const where = details.offset === undefined ? '' : ` (at byte ${details.offset}${opcode ? `, opcode ${opcode.name}` : ''})`;
    super(message + where);
    this.name = new.target.name;
    this.code = code;
    this.offset = details.offset;
    this.opcode = opcode;
  }
}

/** Base of everything `loads` and friends throw for input they cannot decode. */
export class UnpicklingError extends PickleError {}

/** The input ended in the middle of a pickle. More bytes might complete it. */
export class TruncatedPickleError extends UnpicklingError {
  constructor(message: string, details: PickleErrorDetails = {}) {
    super('truncated', message, details);
  }
}

/** `Unpickler.load()` found no further pickle: the input ended cleanly between pickles (Python's EOFError). */
export class EndOfInputError extends UnpicklingError {
  constructor(details: PickleErrorDetails = {}) {
    super('end_of_input', 'no more pickles in the input', details);
  }
}

/** The bytes are not a valid pickle (unknown opcode, bad argument, stack misuse, …). `code` says which. */
export class MalformedPickleError extends UnpicklingError {}

/** Where a message is read: a program calling the library, or a shell user of the `pickleguard` command. */
export type Vocabulary = 'api' | 'cli';

/** How to add the shipped pack `id` to a policy, in the vocabulary of where it is read: the one phrase for both. */
export function addShippedPack(id: string, vocabulary: Vocabulary = 'api'): string {
  return vocabulary === 'cli' ? `add --policy ${id}` : `add shippedPack('${id}') to the policy's packs`;
}

/** A global, extension code or persistent id that the policy does not allow. Nothing was called. */
export class RefusedGlobalError extends UnpicklingError {
  readonly module: string;
  readonly qualname: string;
  /** The pack entry (JSON) that would allow the refused use, or undefined when nothing can (the hard deny list). */
  readonly allowWith: string | undefined;
  /** The id of a shipped pack that allows the name, when the policy lacks it and one does. */
  readonly shippedPack: string | undefined;
  constructor(module: string, qualname: string, message: string, details: PickleErrorDetails = {}, allowWith?: string, shippedPack?: string) {
    super('refused_global', message, details);
    this.module = module;
    this.qualname = qualname;
    this.allowWith = allowWith;
    this.shippedPack = shippedPack;
  }

  /** The message as read in `vocabulary`: `--policy numpy` on the command line, `shippedPack('numpy')` in the API (the message itself). */
  messageIn(vocabulary: Vocabulary): string {
    const id = this.shippedPack;
    return id === undefined ? this.message : this.message.replace(addShippedPack(id), addShippedPack(id, vocabulary));
  }
}

/** A resource limit was reached. `limit` names the option that raises it. */
export class LimitExceededError extends UnpicklingError {
  readonly limit: string;
  readonly value: number;
  constructor(limit: string, value: number, message: string, details: PickleErrorDetails = {}) {
    super('limit_exceeded', `${message}; the limit ${limit} is ${value}, pass a larger ${limit} in the options to allow more`, details);
    this.limit = limit;
    this.value = value;
  }
}

/** A value cannot be pickled (it has no Python meaning). */
export class PicklingError extends PickleError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** One problem in a policy pack or registration, with its JSON path (`entries[3].module`). */
export interface PolicyIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** A pack or registration is invalid (schema, unknown reconstructor, denied name, digest mismatch). Nothing was built. */
export class PolicyError extends PickleError {
  readonly issues: readonly PolicyIssue[];
  constructor(code: string, message: string, issues: readonly PolicyIssue[] = []) {
    const detail = issues.length ? `\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}` : '';
    super(code, message + detail);
    this.issues = issues;
  }
}
