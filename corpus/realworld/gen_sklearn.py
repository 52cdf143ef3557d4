#!/usr/bin/env python3
# interpreters: /usr/bin/python3 trixie sid
"""Writes corpus/realworld/sklearn/<scikit-learn version>/: fitted estimators pickled by pickle.dumps.

The estimators are policies/tools/sklearn_models.py's (the ones the scikit-learn pack's names were
recorded from). NAME.pP.pkl is pickle.dumps(estimator, P) (protocol 4 for all; 2 and 5 for a few);
NAME.pP.json is {"sklearn": version, "numpy": version, "protocol": P, "value": <described.py form>}.
Deterministic: every random_state is fixed.
"""
import json
import os
import pickle
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'policies', 'tools'))
from described import describe  # noqa: E402

try:
    import numpy as np
    import sklearn
    import sklearn_models
except ImportError as e:
    print(f'gen_sklearn.py: skipped: {e}')
    sys.exit(0)

OTHER_PROTOCOLS = {'random_forest': (2, 5), 'pipeline': (2, 5), 'kd_tree': (5,), 'hist_gradient_boosting': (5,)}


def main():
    out = os.path.join(HERE, 'sklearn', sklearn.__version__)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    n = 0
    for name, model in sklearn_models.models():
        for p in (4,) + OTHER_PROTOCOLS.get(name, ()):
            data = pickle.dumps(model, p)
            with open(os.path.join(out, f'{name}.p{p}.pkl'), 'wb') as f:
                f.write(data)
            meta = {'sklearn': sklearn.__version__, 'numpy': np.__version__, 'protocol': p, 'value': describe(model, p)}
            with open(os.path.join(out, f'{name}.p{p}.json'), 'w') as f:
                json.dump(meta, f, indent=1, sort_keys=True)
                f.write('\n')
            n += 1
    print(f'gen_sklearn.py: wrote {n} pickles under {os.path.relpath(out, HERE)}')


if __name__ == '__main__':
    main()
