/** Every reconstructor built into the library, by id: what packs can name without host code. */
import { BUILTIN_RECONSTRUCTORS } from './reconstructors/builtins.js';
import { DATETIME_DEFS } from './reconstructors/datetime.js';
import { NUMPY_DEFS } from './reconstructors/numpy.js';
import { PYTZ_DEFS } from './reconstructors/pytz.js';
import { PANDAS_DEFS } from './reconstructors/pandas.js';
import { SKLEARN_DEFS } from './reconstructors/sklearn.js';
import { STDLIB_DEFS } from './reconstructors/stdlib.js';
import { STDLIB_VALUE_DEFS } from './reconstructors/stdlib-values.js';
import { TORCH_DEFS } from './reconstructors/torch.js';
import type { ReconstructorDef } from './types.js';

export const KNOWN_DEFS: readonly ReconstructorDef[] = Object.freeze([
  ...BUILTIN_RECONSTRUCTORS.map(({ module, qualname, ...parts }) =>
    Object.freeze({ id: `${module}.${qualname}`, description: `${module}.${qualname} as CPython pickles it`, bind: () => parts }),
  ),
  ...DATETIME_DEFS,
  ...STDLIB_DEFS,
  ...STDLIB_VALUE_DEFS,
  ...PYTZ_DEFS,
  ...NUMPY_DEFS,
  ...TORCH_DEFS,
  ...SKLEARN_DEFS,
  ...PANDAS_DEFS,
]);
