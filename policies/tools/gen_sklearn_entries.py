#!/usr/bin/env python3
"""Writes policies/scikit-learn.json from every scikit-learn it has been run with.

Run under each interpreter with a scikit-learn (Debian 12's /usr/bin/python3, the Debian 13 root's
python3): each run records its version's entries in policies/tools/sklearn-seen/<version>.json,
then writes the pack from the union of all recorded versions.

Fits the estimators of sklearn_models.py, pickles each at protocols 2-5 and reads the pickles back
with a pure-Python Unpickler that records every name find_class resolves and how the pickle uses it
(REDUCE: called, NEWOBJ: instantiated, BUILD: given state, else named as data) with the kinds of
its arguments. Names the base packs (python-builtins, python-stdlib, numpy) already allow are left
out; every other name becomes an exact entry with constraints from what was seen. REVIEW below holds
what a person decided on top (notes, tighter constraints); the output is deterministic.
  /usr/bin/python3 policies/tools/gen_sklearn_entries.py && npm run packs
"""
import _compat_pickle
import json
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
POLICIES = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import sklearn  # noqa: E402
import sklearn_models  # noqa: E402

BASES = ['python-builtins', 'python-stdlib', 'numpy']

# A person's review: notes for names whose role is not plain (a class fitted and pickled with its __dict__).
REVIEW = {
    'sklearn.tree._tree.Tree': 'Tree(n_features, n_classes array, n_outputs), then its state {max_depth, node_count, nodes: structured array, values: array}: node table and child indices checked by the sklearn.tree.Tree reconstructor',
    'sklearn.neighbors._kd_tree.newObj': 'newObj(KDTree): an empty KDTree record, then its state tuple (data, idx_array, node_data, node_bounds, counts, metric): indices checked by the sklearn.neighbors.newObj reconstructor',
    'sklearn.neighbors._ball_tree.newObj': 'newObj(BallTree): an empty BallTree record, then its state tuple (data, idx_array, node_data, node_bounds, counts, metric): indices checked by the sklearn.neighbors.newObj reconstructor',
    'sklearn.metrics._dist_metrics.newObj': 'newObj(EuclideanDistance, …): an empty distance-metric record, then its state',
    'numpy.random._pickle.__randomstate_ctor': "a RandomState record (an estimator's _rng): the bit generator's name, then its state dict",
    'numpy.random._pickle.__bit_generator_ctor': "a bit generator record: named by RandomState's reduce (numpy 1.x), or called with its class and given its state dict (numpy 2.x)",
    'numpy.random._pickle.__generator_ctor': "a Generator record (HistGradientBoosting's _feature_subsample_rng, scikit-learn 1.4): its bit generator record",
    'numpy.random._mt19937.MT19937': 'a bit generator class, only as __bit_generator_ctor\'s argument',
    'numpy.random._pcg64.PCG64': 'a bit generator class, only as __bit_generator_ctor\'s argument',
    'numpy.random.bit_generator.SeedSequence': "only as __pyx_unpickle_SeedSequence's argument",
    'numpy.random.bit_generator.__pyx_unpickle_SeedSequence': "a SeedSequence record (a bit generator's seed): Cython's (class, checksum, None), then its state tuple",
    'sklearn.metrics._dist_metrics.EuclideanDistance64': "the distance metric's class since scikit-learn 1.3, only as newObj's argument",
    'numpy.float64': 'a dtype class as an estimator parameter (OneHotEncoder(dtype=numpy.float64)); only named',
}


def base_names():
    names = set()
    for pack in BASES:
        with open(os.path.join(POLICIES, pack + '.json')) as f:
            for e in json.load(f)['entries']:
                names.add(f"{e['module']}.{e['qualname']}")
    return names


def name_of(obj):
    return f'{obj.__module__}.{obj.__qualname__}'


class Recorder(pickle._Unpickler):
    """Loads our own pickles (of estimators fitted here) while recording how each global is used."""
    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, data, seen):
        import io
        super().__init__(io.BytesIO(data))
        self.seen = seen
        self.made = {}
        self.names = {}
        self.keep = []

    def note(self, name, use, value=None):
        e = self.seen.setdefault(name, {'uses': set(), 'args': [], 'state': []})
        e['uses'].add(use)
        if use in ('call', 'new'):
            e['args'].append(value)
        elif use == 'state':
            e['state'].append(value)

    def find_class(self, module, name):
        obj = super().find_class(module, name)
        # The name the policy sees: Python 2 names mapped as fix_imports maps them (protocols < 3).
        if self.proto < 3 and (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif self.proto < 3 and module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        self.names[id(obj)] = f'{module}.{name}'
        self.keep.append(obj)
        self.note(f'{module}.{name}', 'reference')
        return obj

    def name(self, obj):
        return self.names.get(id(obj)) or name_of(obj)

    def load_reduce(self):
        func, args = self.stack[-2], self.stack[-1]
        Recorder.dispatch[pickle.REDUCE[0]].__wrapped__(self)
        self.note(self.name(func), 'call', args)
        self.made[id(self.stack[-1])] = self.name(func)
        self.keep.append(self.stack[-1])

    def load_newobj(self):
        cls, args = self.stack[-2], self.stack[-1]
        pickle._Unpickler.load_newobj(self)
        self.note(self.name(cls), 'new', args)
        self.made[id(self.stack[-1])] = self.name(cls)
        self.keep.append(self.stack[-1])

    def load_build(self):
        state, target = self.stack[-1], self.stack[-2]
        maker = self.made.get(id(target))
        if maker is not None:
            self.note(maker, 'state', state)
        pickle._Unpickler.load_build(self)


Recorder.load_reduce.__wrapped__ = pickle._Unpickler.load_reduce
Recorder.dispatch[pickle.REDUCE[0]] = Recorder.load_reduce
Recorder.dispatch[pickle.NEWOBJ[0]] = Recorder.load_newobj
Recorder.dispatch[pickle.BUILD[0]] = Recorder.load_build
Recorder.dispatch[pickle.REDUCE[0]].__wrapped__ = pickle._Unpickler.load_reduce


def kind(v):
    import numpy as np  # noqa: F401
    if v is None:
        return 'none'
    for t, k in ((bool, 'bool'), (int, 'int'), (float, 'float'), (str, 'str'), (bytes, 'bytes'), (bytearray, 'bytearray'),
                 (tuple, 'tuple'), (list, 'list'), (dict, 'dict'), (frozenset, 'frozenset'), (set, 'set')):
        if type(v) is t:
            return k
    if isinstance(v, type) or callable(v) and hasattr(v, '__qualname__') and hasattr(v, '__module__') and not hasattr(v, '__dict__') or type(v).__name__ in ('function', 'builtin_function_or_method', 'cython_function_or_method'):
        return 'global'
    return 'any'


def spec_of(values):
    """A constraint every observed value satisfies: its kind(s); for tuples of one length, per item; for globals, the names."""
    kinds = sorted({kind(v) for v in values})
    if len(kinds) > 1:
        return {'oneOf': [spec_of([v for v in values if kind(v) == k]) for k in kinds]}
    k = kinds[0]
    if k == 'any':
        return {'type': 'any'}
    spec = {'type': k}
    if k == 'global':
        spec['names'] = sorted({name_of(v) for v in values})
    elif k == 'tuple':
        lengths = {len(v) for v in values}
        if len(lengths) == 1:
            n = lengths.pop()
            spec['minLength'] = spec['maxLength'] = n
            if n:
                spec['items'] = [spec_of([v[i] for v in values]) for i in range(n)]
        else:
            spec['maxLength'] = max(lengths)
    elif k == 'dict':
        spec['maxLength'] = 512
        spec['keys'] = {'type': 'str', 'maxLength': 128}
    elif k == 'str':
        spec['maxLength'] = 256
    return spec


def observed(seen, known):
    """The entries for what this scikit-learn's pickles used, beyond the base packs."""
    entries = []
    for name in sorted(seen):
        if name in known:
            continue
        e = seen[name]
        module, _, qualname = name.rpartition('.')
        # find_class splits at the module the pickle names: take the module the object reports.
        uses = [u for u in ('call', 'new', 'state') if u in e['uses']] or ['reference']
        entry = {'module': module, 'qualname': qualname}
        if name == 'sklearn.tree._tree.Tree':
            entry['reconstructor'] = 'sklearn.tree.Tree'
        elif name in ('sklearn.neighbors._kd_tree.newObj', 'sklearn.neighbors._ball_tree.newObj'):
            entry['reconstructor'] = 'sklearn.neighbors.newObj'
        else:
            entry['reconstructor'] = 'reference' if uses == ['reference'] else 'object'
        entry['uses'] = uses
        if e['args']:
            entry['args'] = spec_of([tuple(a) for a in e['args']])
        if e['state']:
            entry['state'] = spec_of(e['state'])
        entries.append(entry)
    return entries


def merge_spec(a, b):
    """One constraint both versions' values satisfy: the same one, names or items merged, else either."""
    if a == b:
        return a
    if a.get('type') == b.get('type') == 'global':
        return {'type': 'global', 'names': sorted(set(a['names']) | set(b['names']))}
    if a.get('type') == b.get('type') == 'tuple' and 'items' in a and 'items' in b and len(a['items']) == len(b['items']):
        return {**a, 'items': [merge_spec(x, y) for x, y in zip(a['items'], b['items'])]}
    options = []
    for s in (a, b):
        for o in s.get('oneOf', [s]):
            if o not in options:
                options.append(o)
    return {'oneOf': options}


def merge(versions):
    """The union of every recorded version's entries, by name; uses united, constraints merged."""
    by_name = {}
    for entries in versions:
        for e in entries:
            key = (e['module'], e['qualname'])
            if key not in by_name:
                by_name[key] = dict(e)
                continue
            m = by_name[key]
            m['uses'] = [u for u in ('call', 'new', 'state', 'reference') if u in m['uses'] or u in e['uses']]
            if m['uses'] != ['reference']:
                m['uses'] = [u for u in m['uses'] if u != 'reference']
            for part in ('args', 'state'):
                if part in m and part in e:
                    m[part] = merge_spec(m[part], e[part])
                elif part in e:
                    m[part] = e[part]
            if m['reconstructor'] == 'reference' and e['reconstructor'] != 'reference':
                m['reconstructor'] = e['reconstructor']
    merged = [by_name[k] for k in sorted(by_name, key=lambda k: f'{k[0]}.{k[1]}')]
    for e in merged:
        name = f"{e['module']}.{e['qualname']}"
        if name in REVIEW:
            e['note'] = REVIEW[name]
    return merged


SEEN = os.path.join(HERE, 'sklearn-seen')


def main():
    seen = {}
    for _name, model in sklearn_models.models():
        for protocol in (2, 3, 4, 5):
            Recorder(pickle.dumps(model, protocol), seen).load()
    os.makedirs(SEEN, exist_ok=True)
    with open(os.path.join(SEEN, f'{sklearn.__version__}.json'), 'w') as f:
        json.dump(observed(seen, base_names()), f, indent=0)
        f.write('\n')
    recorded = sorted((f[:-5] for f in os.listdir(SEEN) if f.endswith('.json')), key=lambda v: [int(x) for x in v.split('.') if x.isdigit()])
    versions = []
    for v in recorded:
        with open(os.path.join(SEEN, f'{v}.json')) as f:
            versions.append(json.load(f))
    entries = merge(versions)
    pack = {
        '$schema': './schema/pack.schema.json',
        'id': 'scikit-learn',
        'version': '1.1.0',
        'description': (f'Fitted scikit-learn estimators (exact names recorded from scikit-learn {", ".join(recorded)}) as inert PyObject '
                        'records of NdArrays and plain values; Tree and KDTree/BallTree tables checked. Nothing is called.'),
        'extends': [],
        'entries': entries,
    }
    with open(os.path.join(POLICIES, 'scikit-learn.json')) as f:
        old = json.load(f) if f.readable() else {}
    pack['extends'] = old.get('extends', [])
    text = '{\n' + ',\n'.join(f'  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}' for k, v in pack.items() if k != 'entries')
    text += ',\n  "entries": [\n' + ',\n'.join('    ' + json.dumps(e, ensure_ascii=False, separators=(',', ':')) for e in entries) + '\n  ]\n}\n'
    with open(os.path.join(POLICIES, 'scikit-learn.json'), 'w') as f:
        f.write(text)
    print(f'policies/scikit-learn.json: {len(entries)} entries from scikit-learn {", ".join(recorded)}')


if __name__ == '__main__':
    main()
