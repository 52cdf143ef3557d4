# interpreters: /usr/bin/python3 trixie sid
"""Writes corpus/realworld/torch/<torch version>/: checkpoints written by the real torch.save.

Each NAME.pt has NAME.json, its expected value: {"value": <typed JSON>} or, for a file that must be
refused, {"error": "<our error class>", "match": "<regexp of the message>"}. Typed JSON is the
corpus's (corpus/typed_json.py) plus: {"tensor": {...}} (dtype, shape, stride, offset,
requires_grad, parameter, storage: index of its storage in order of first appearance, numel of that
storage, sha256 of its elements' raw little-endian bytes in row-major order, and for small tensors
"values": numbers ("nan", "inf", "-inf" as str), int64 as str, bool as 0/1, complex as re, im pairs flattened), {"tensor_ref": n}
for the nth distinct tensor seen again, {"dtype": "float16"}, {"device": "cuda:0"}, {"size": [2, 3]}.

torch.save's bytes vary run to run (legacy storage keys are addresses), so a file is rewritten only
when what it holds changes: an existing file whose expected value equals the new one is kept.
Skips (exit 0, with the reason) when torch is not installed.
"""
import collections
import hashlib
import io
import json
import os
import sys
import tempfile
import warnings

try:
    import torch
except ImportError as e:
    print(f'gen_torch.py: skipped: torch is not installed for {sys.executable} ({e})')
    sys.exit(0)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'torch', torch.__version__)

# What each dtype is called in our typed JSON (torch's own name) and how its values are listed.
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16, torch.int8,
          torch.uint8, torch.bool, torch.complex64, torch.complex128]
# Dtypes of torch 2.x: written where this torch has them and saves them, else reported.
LATER = ['uint16', 'uint32', 'uint64', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'complex32']


def saves(name, **kwargs):
    try:
        warnings.simplefilter('ignore')  # complex32 is "experimental"
        d = getattr(torch, name)
        t = torch.tensor([1.0, 2.0]).to(d) if not d.is_complex else torch.zeros(2, dtype=d)
        f = io.BytesIO()
        torch.save(t, f, **kwargs)
        return torch.load(io.BytesIO(f.getvalue()), weights_only=False).dtype == d
    except Exception:
        return False


DTYPES += [getattr(torch, n) for n in LATER if hasattr(torch, n) and saves(n)]
# torch 2.6 writes uint16/32/64 in the legacy format but cannot read them back: zip only.
ZIP_ONLY = {getattr(torch, n) for n in LATER if getattr(torch, n, None) in DTYPES and not saves(n, _use_new_zipfile_serialization=False)}
FLOAT8 = {d for d in DTYPES if str(d).startswith('torch.float8')}
UNSIGNED = {getattr(torch, n): getattr(torch, 'int' + n[4:]) for n in ('uint16', 'uint32', 'uint64') if getattr(torch, n, None) in DTYPES}


def dtype_name(d):
    return str(d).split('.')[-1]


def element_bytes(t):
    """The elements' raw bytes, row-major, little-endian, as torch stores them."""
    t = t.detach().contiguous()
    if t.dtype in FLOAT8:
        t = t.view(torch.uint8)
    elif t.dtype in UNSIGNED:
        t = t.view(UNSIGNED[t.dtype])
    elif t.dtype == torch.complex32:
        t = torch.view_as_real(t).view(torch.int16)
    elif t.dtype in (torch.float16, torch.bfloat16):
        t = t.view(torch.int16)
    elif t.dtype == torch.bool:
        t = t.view(torch.uint8)
    if t.dtype.is_complex:
        t = torch.view_as_real(t)
    return t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()


def finite(v):
    """JSON has no NaN or infinities: those are the strings "nan", "inf", "-inf"."""
    return repr(v) if isinstance(v, float) and v != v or v in (float('inf'), float('-inf')) else v


def values_of(t):
    return [finite(v) for v in raw_values(t)]


def raw_values(t):
    t = t.detach()
    if t.dtype == torch.complex32:
        return [float(x) for x in torch.view_as_real(t).float().flatten().tolist()]
    if t.dtype in FLOAT8:
        return [float(v) for v in t.float().flatten().tolist()]
    if t.dtype is getattr(torch, 'uint64', None):
        return [str(v) for v in t.flatten().tolist()]
    if t.dtype.is_complex:
        return [x for v in t.flatten().tolist() for x in (v.real, v.imag)]
    if t.dtype in (torch.float16, torch.bfloat16):
        return [float(v) for v in t.float().flatten().tolist()]
    if t.dtype == torch.bool:
        return [int(v) for v in t.flatten().tolist()]
    if t.dtype == torch.int64:
        return [str(v) for v in t.flatten().tolist()]
    return t.flatten().tolist()


class Typed:
    """The typed JSON of a loaded value, tensors and storages numbered in order of first appearance."""

    def __init__(self):
        self.tensors, self.storages = {}, {}

    def __call__(self, v):
        from typed_json import NOT_SCALAR, scalar
        s = scalar(v)
        if s is not NOT_SCALAR:
            return s
        if isinstance(v, torch.Tensor):
            if id(v) in self.tensors:
                return {'tensor_ref': self.tensors[id(v)]}
            self.tensors[id(v)] = len(self.tensors)
            storage = v.storage()
            sid = self.storages.setdefault(storage.data_ptr(), len(self.storages))
            out = {'dtype': dtype_name(v.dtype), 'shape': list(v.shape), 'stride': list(v.stride()), 'offset': v.storage_offset(),
                   'requires_grad': v.requires_grad, 'parameter': isinstance(v, torch.nn.Parameter), 'storage': sid,
                   'storage_numel': storage.size(), 'sha256': hashlib.sha256(element_bytes(v)).hexdigest()}
            if v.numel() <= 64:
                out['values'] = values_of(v)
            return {'tensor': out}
        if isinstance(v, torch.dtype):
            return {'dtype': dtype_name(v)}
        if isinstance(v, torch.device):
            return {'device': str(v)}
        if isinstance(v, torch.Size):
            return {'size': list(v)}
        if isinstance(v, collections.OrderedDict):
            return {'odict': [[self(k), self(x)] for k, x in v.items()]}
        if isinstance(v, dict):
            return {'dict': [[self(k), self(x)] for k, x in v.items()]}
        if isinstance(v, list):
            return {'list': [self(x) for x in v]}
        if isinstance(v, tuple):
            return {'tuple': [self(x) for x in v]}
        raise TypeError(f'no typed form for {type(v)}')


def keep_or_write(name, data, expected):
    """Write NAME.pt and NAME.json unless the committed pair already holds this expected value."""
    path = os.path.join(OUT, name)
    jpath = path.rsplit('.', 1)[0] + '.json'
    text = json.dumps(expected, sort_keys=True, indent=1) + '\n'
    if os.path.exists(path) and os.path.exists(jpath):
        with open(jpath) as f:
            if f.read() == text:
                return False
    with open(path, 'wb') as f:
        f.write(data)
    with open(jpath, 'w') as f:
        f.write(text)
    return True


def saved(obj, name, **kwargs):
    """torch.save's bytes (the zip's prefix is the file's stem, as when saving to NAME.pt)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name)
        torch.save(obj, path, **kwargs)
        with open(path, 'rb') as f:
            return f.read()


def fixture(name, obj, **kwargs):
    data = saved(obj, name, **kwargs)
    loaded = torch.load(io.BytesIO(data), weights_only=False)  # our own file, just written
    return keep_or_write(name, data, {'value': Typed()(loaded)})


def refused(name, data, match):
    return keep_or_write(name, data, {'error': 'RefusedGlobalError', 'match': match})


def values():
    torch.manual_seed(0)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    special = torch.tensor([0.0, -0.0, 1.5, -2.25, 65504.0, 1e-7, float('inf'), float('-inf')])
    dtypes = collections.OrderedDict()
    for d in DTYPES:
        if d == torch.bool:
            dtypes['bool'] = torch.tensor([True, False, True, True])
        elif d.is_complex:
            dtypes[dtype_name(d)] = torch.tensor([1 + 2j, -0.5 - 3j], dtype=torch.complex64).to(d)
        elif d.is_floating_point:
            dtypes[dtype_name(d)] = special.to(d)
        else:
            info = torch.iinfo(d)
            if d in UNSIGNED:  # torch.tensor cannot make these from Python ints beyond int64: set the bytes
                signed = torch.tensor([0, -1, 0, 1], dtype=UNSIGNED[d])
                dtypes[dtype_name(d)] = signed.view(d)
            else:
                dtypes[dtype_name(d)] = torch.tensor([info.min, info.max, 0, -1 if info.min < 0 else 1], dtype=d)
    dtypes['scalar'] = torch.tensor(3.5)
    dtypes['empty'] = torch.zeros(0, 4)
    dtypes['big'] = torch.randn(128, 128)  # values by digest only

    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(2, 1, 4, 4)).sum().backward()
    opt.step()
    sgd = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sgd.step()

    shared = collections.OrderedDict([('base', base), ('row', base[1]), ('col', base[:, 2]), ('t', base.t()), ('block', base[1:, 1:3]),
                                      ('again', base), ('expanded', torch.tensor([7.0]).expand(3))])
    w = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    parameters = collections.OrderedDict([('w', w), ('frozen', torch.nn.Parameter(torch.tensor([5.0]), requires_grad=False)),
                                          ('w_again', w), ('grad_tensor', torch.tensor([1.0, 2.0], requires_grad=True))])
    checkpoint = {
        'epoch': 3, 'loss': 0.125, 'name': 'tiny', 'dtype': torch.float16, 'dtypes': [d for d in DTYPES],
        'device': torch.device('cuda', 0), 'cpu': torch.device('cpu'), 'size': torch.Size([2, 3]), 'shape': base.shape,
        'model': model.state_dict(), 'optimizer': opt.state_dict(), 'nested': {'list': [base, (base[0], torch.ones(2, dtype=torch.int64))]},
    }
    return collections.OrderedDict([('dtypes', dtypes), ('model_state_dict', model.state_dict()), ('adam', opt.state_dict()),
                                    ('sgd', sgd.state_dict()), ('shared', shared), ('parameters', parameters), ('checkpoint', checkpoint)]), model


def main():
    os.makedirs(OUT, exist_ok=True)
    sys.path.insert(0, os.path.dirname(HERE))
    fixtures, model = values()
    written = []
    for name, obj in fixtures.items():
        written.append(fixture(f'{name}.pt', obj))
        if name == 'dtypes':
            obj = collections.OrderedDict((k, t) for k, t in obj.items() if t.dtype not in ZIP_ONLY)
        written.append(fixture(f'{name}.legacy.pt', obj, _use_new_zipfile_serialization=False))
    for protocol in (4, 5):
        written.append(fixture(f'checkpoint.p{protocol}.pt', fixtures['checkpoint'], pickle_protocol=protocol))
    # Refused as torch.load(weights_only=True) refuses them: a pickled nn.Module, and a TorchScript archive.
    written.append(refused('module.pt', saved(model, 'module.pt'), r'torch\.nn\.modules\.\S+ .*weights_only=True'))
    written.append(refused('module.legacy.pt', saved(model, 'module.legacy.pt', _use_new_zipfile_serialization=False), r'weights_only=True'))
    with tempfile.TemporaryDirectory() as tmp:
        torch.jit.script(torch.nn.Linear(2, 2)).save(os.path.join(tmp, 'scripted.pt'))
        with open(os.path.join(tmp, 'scripted.pt'), 'rb') as f:
            written.append(refused('scripted.pt', f.read(), r'TorchScript.*weights_only=True'))
    later = [n for n in LATER if not hasattr(torch, n)]
    cannot = [n for n in LATER if hasattr(torch, n) and getattr(torch, n) not in DTYPES]
    print(f'corpus/realworld/torch/{torch.__version__}: {len(written)} files, {sum(written)} rewritten')
    if later:
        print(f'  torch {torch.__version__} has no dtype {", ".join(later)}: not written (test/torch.test.ts covers them by hand)')
    if ZIP_ONLY:
        print(f'  torch {torch.__version__} cannot read back {", ".join(map(dtype_name, ZIP_ONLY))} from the legacy format: zip only')
    if cannot:
        print(f'  torch {torch.__version__} cannot save {", ".join(cannot)} (no storage type for it): not written')
    print('  the tar format: torch.save has not written it since 0.4 (only _legacy_load reads it): not written')


if __name__ == '__main__':
    main()
