/** The reconstructors the default policy's packs (python-builtins, python-stdlib) name, by id. */
import { BUILTIN_RECONSTRUCTORS } from './reconstructors/builtins.js';
import { DATETIME_DEFS } from './reconstructors/datetime.js';
import { STDLIB_DEFS } from './reconstructors/stdlib.js';
import { STDLIB_VALUE_DEFS } from './reconstructors/stdlib-values.js';
import type { ReconstructorDef } from './types.js';

export const STDLIB_KNOWN_DEFS: readonly ReconstructorDef[] = /*#__PURE__*/ Object.freeze([
  ...BUILTIN_RECONSTRUCTORS.map(({ module, qualname, ...parts }) =>
    Object.freeze({ id: `${module}.${qualname}`, bind: () => parts }),
  ),
  ...DATETIME_DEFS,
  ...STDLIB_DEFS,
  ...STDLIB_VALUE_DEFS,
]);
