/** pickleguard: read (and soon write and audit) Python pickles, safely. The public surface only. */
export { loads, safeLoads, Unpickler, type SafeLoadResult } from './unpickler/unpickler.js';
export { load, StreamUnpickler, type ByteSource } from './unpickler/stream.js';
export type { LoadOptions } from './unpickler/options.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';

export {
  PickleError,
  UnpicklingError,
  TruncatedPickleError,
  EndOfInputError,
  MalformedPickleError,
  RefusedGlobalError,
  LimitExceededError,
  PicklingError,
  type OpcodeRef,
} from './errors.js';

export { PyTuple, PyByteArray, PyFrozenSet, PyComplex, PyFloat, PyGlobal } from './model/index.js';
export { PyOrderedDict } from './policy/reconstructors/builtins.js';

export type { Policy, Reconstructor } from './policy/types.js';
export { ReconstructorArgumentError } from './policy/types.js';
export { DEFAULT_POLICY, policyOf } from './policy/default.js';

export {
  OPCODES,
  OP,
  OPCODE_BY_BYTE,
  ARG_KINDS,
  HIGHEST_PROTOCOL,
  DEFAULT_PROTOCOL,
  type OpcodeInfo,
  type OpcodeName,
  type ArgKindName,
  type StackKind,
} from './opcodes.js';

export { disassemble, type DisOptions } from './audit/dis.js';
