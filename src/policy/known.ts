/** Every reconstructor built into the library, by id: what packs can name without host code. */
import { STDLIB_KNOWN_DEFS } from './known-stdlib.js';
import { NUMPY_DEFS } from './reconstructors/numpy.js';
import { PANDAS_DEFS } from './reconstructors/pandas.js';
import { PYTZ_DEFS } from './reconstructors/pytz.js';
import { SKLEARN_DEFS } from './reconstructors/sklearn.js';
import { TORCH_DEFS } from './reconstructors/torch.js';
import type { ReconstructorDef } from './types.js';

export const KNOWN_DEFS: readonly ReconstructorDef[] = /*#__PURE__*/ Object.freeze([
  ...STDLIB_KNOWN_DEFS,
  ...PYTZ_DEFS,
  ...NUMPY_DEFS,
  ...TORCH_DEFS,
  ...SKLEARN_DEFS,
  ...PANDAS_DEFS,
]);
