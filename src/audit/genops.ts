/**
 * `genops` and `OpReader` (CPython's `pickletools.genops`): the opcodes of one pickle, each with its
 * argument decoded by the loader's own decoders. They live in src/unpickler/opreader.ts, beside the
 * loader they read with; this module keeps the auditor's import path.
 */
export { genops, OpReader, type GenOp, type OpArg, type OpReaderOptions as GenopsOptions } from '../unpickler/opreader.js';
