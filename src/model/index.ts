export { PyTuple, isPyTuple } from './tuple.js';
export { PyByteArray } from './bytearray.js';
export { PyFrozenSet } from './frozenset.js';
export { PyComplex } from './complex.js';
export { PyFloat } from './float.js';
export { PyGlobal } from './global.js';
export { PyObject, type PyObjectKind } from './object.js';
export { REDUCE, isReducible, type Reduction, type Reducible } from './reduce.js';
