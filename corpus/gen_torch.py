#!/usr/bin/env python3
"""Writes corpus/torch/: PyTorch zip checkpoints as torch.save writes them, without torch.

torch is not installed here, so the pickle is made by CPython's C pickler (what torch.save uses,
protocol 2) from stand-ins registered under torch's own names, whose __reduce_ex__ returns what
torch's does: a tensor reduces to torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
stride, requires_grad, OrderedDict()), a Parameter to torch._utils._rebuild_parameter(data,
requires_grad, OrderedDict()), torch.Size to (torch.Size, (tuple,)); storages are persistent ids
('storage', torch.<Type>Storage, key, 'cpu', numel) with keys '0', '1', … in order of first use,
and a state dict is an OrderedDict whose _metadata attribute pickles as BUILD state. The archive
is what PyTorchFileWriter lays out: <prefix>/data.pkl, .format_version, .storage_alignment,
byteorder, data/<key> (sorted), version, .data/serialization_id; members stored, their data
aligned to 64 bytes with a padding extra field (as torch does; the zip headers themselves are
Python zipfile's, not miniz's byte for byte).

Each NAME.pt has NAME.json: {"tensors": {key: {dtype, shape, stride, offset, requires_grad,
parameter, values}}} for a valid checkpoint (values as numbers, or strings for int64, flattened
row-major), or {"error": "<class>", "code": "<code>", "match": "<regexp>"} for a hostile one.
Deterministic: run twice, same bytes.
"""
import collections
import io
import json
import os
import pickle
import shutil
import struct
import sys
import types
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'torch')

torch = types.ModuleType('torch')
torch_utils = types.ModuleType('torch._utils')
torch.__path__ = []
sys.modules['torch'] = torch
sys.modules['torch._utils'] = torch_utils

STORAGES = {  # name: (struct format, itemsize)
    'FloatStorage': ('f', 4), 'DoubleStorage': ('d', 8), 'HalfStorage': ('e', 2), 'BFloat16Storage': ('H', 2),
    'LongStorage': ('q', 8), 'IntStorage': ('i', 4), 'ShortStorage': ('h', 2), 'CharStorage': ('b', 1),
    'ByteStorage': ('B', 1), 'BoolStorage': ('?', 1), 'EvilStorage': ('B', 1),
}
DTYPES = {'FloatStorage': 'float32', 'DoubleStorage': 'float64', 'HalfStorage': 'float16', 'BFloat16Storage': 'bfloat16',
          'LongStorage': 'int64', 'IntStorage': 'int32', 'ShortStorage': 'int16', 'CharStorage': 'int8',
          'ByteStorage': 'uint8', 'BoolStorage': 'bool'}
for _name in STORAGES:
    setattr(torch, _name, type(_name, (), {'__module__': 'torch', '__qualname__': _name}))


def _rebuild_tensor_v2(*args):
    raise NotImplementedError


def _rebuild_parameter(*args):
    raise NotImplementedError


def load(*args):
    raise NotImplementedError


for _module, _fn in ((torch_utils, _rebuild_tensor_v2), (torch_utils, _rebuild_parameter), (torch, load)):
    _fn.__module__ = _module.__name__
    setattr(_module, _fn.__name__, _fn)


class Size(tuple):
    def __reduce__(self):
        return (Size, (tuple(self),))


Size.__module__ = 'torch'
torch.Size = Size


def bf16(x):
    return struct.unpack('<I', struct.pack('<f', x))[0] >> 16


class Storage:
    def __init__(self, type_name, values, numel=None):
        self.type_name = type_name
        fmt, self.itemsize = STORAGES[type_name]
        raw = [bf16(v) for v in values] if type_name == 'BFloat16Storage' else values
        self.values = list(values)
        self.fmt = fmt
        self.raw = raw
        self.numel = len(values) if numel is None else numel

    def data(self, order):
        return struct.pack('%s%d%s' % ('<' if order == 'little' else '>', len(self.raw), self.fmt), *self.raw)


class Tensor:
    def __init__(self, storage, offset, size, stride, requires_grad=False, hooks=None):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)
        self.requires_grad = requires_grad
        self.hooks = collections.OrderedDict() if hooks is None else hooks

    def __reduce_ex__(self, proto):
        return (torch_utils._rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, self.requires_grad, self.hooks))

    def expected(self, parameter=False):
        n = 1
        for d in self.size:
            n *= d
        values = []
        idx = [0] * len(self.size)
        for _ in range(n):
            at = self.offset + sum(i * s for i, s in zip(idx, self.stride))
            v = self.storage.values[at]
            values.append(str(v) if self.storage.type_name == 'LongStorage' else (int(v) if isinstance(v, bool) else v))
            for d in range(len(self.size) - 1, -1, -1):
                idx[d] += 1
                if idx[d] < self.size[d]:
                    break
                idx[d] = 0
        return {'dtype': DTYPES[self.storage.type_name], 'shape': list(self.size), 'stride': list(self.stride), 'offset': self.offset,
                'requires_grad': self.requires_grad, 'parameter': parameter, 'values': values}


class Parameter:
    def __init__(self, data, requires_grad=True):
        self.data, self.requires_grad = data, requires_grad

    def __reduce_ex__(self, proto):
        return (torch_utils._rebuild_parameter, (self.data, self.requires_grad, collections.OrderedDict()))


class Evil:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def pickle_of(obj):
    ids, storages = {}, {}

    class TorchPickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, Storage):
                key = ids.setdefault(id(o), str(len(ids)))
                storages[key] = o
                return ('storage', getattr(torch, o.type_name), key, 'cpu', o.numel)
            return None

    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(obj)
    return buf.getvalue(), storages


def write_zip(path, records, compress=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', compression=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in records:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            if not compress:
                # PyTorchFileWriter pads the local header with an extra field ('FB') so data starts at a multiple of 64.
                header = buf.tell() + 30 + len(name.encode())
                pad = (-(header + 4)) % 64
                info.extra = struct.pack('<HH', 0x4246, pad) + b'Z' * pad
            z.writestr(info, data)
    with open(path, 'wb') as f:
        f.write(buf.getvalue())


def save(name, obj, prefix='archive', order='little', compress=False, edit=None):
    data, storages = pickle_of(obj)
    records = [(prefix + '/data.pkl', data), (prefix + '/.format_version', b'1'), (prefix + '/.storage_alignment', b'64'),
               (prefix + '/byteorder', order.encode())]
    records += [(prefix + '/data/' + k, storages[k].data(order)) for k in sorted(storages)]
    records += [(prefix + '/version', b'3\n'), (prefix + '/.data/serialization_id', b'1234567890123456789012345678901234567890')]
    if edit is not None:
        records = edit(records)
    write_zip(os.path.join(OUT, name + '.pt'), records, compress)


def expect(name, value):
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(value, f, sort_keys=True, indent=1)
        f.write('\n')


def state_dict():
    w = Storage('FloatStorage', [0.5, -1.0, 2.25, 3.0, 4.5, -0.0])
    shared = Storage('FloatStorage', [float(i) for i in range(10)])
    tensors = collections.OrderedDict([
        ('fc.weight', Tensor(w, 0, (2, 3), (3, 1), requires_grad=True)),
        ('fc.bias', Tensor(Storage('FloatStorage', [0.25, 0.5, 0.75]), 0, (3,), (1,))),
        ('view.a', Tensor(shared, 2, (2, 2), (4, 1))),
        ('view.t', Tensor(shared, 0, (3, 2), (1, 3))),       # a transpose: not contiguous
        ('steps', Tensor(Storage('LongStorage', [2 ** 62 + 1]), 0, (), ())),
        ('ids', Tensor(Storage('IntStorage', [-5, 7, 2 ** 31 - 1, -2 ** 31]), 0, (4,), (1,))),
        ('short', Tensor(Storage('ShortStorage', [-300, 300]), 0, (2,), (1,))),
        ('chars', Tensor(Storage('CharStorage', [-128, 127, 0]), 0, (3,), (1,))),
        ('bytes', Tensor(Storage('ByteStorage', [0, 255, 16]), 0, (3,), (1,))),
        ('mask', Tensor(Storage('BoolStorage', [True, False, True]), 0, (3,), (1,))),
        ('half', Tensor(Storage('HalfStorage', [1.5, -2.0, 65504.0]), 0, (3,), (1,))),
        ('bf16', Tensor(Storage('BFloat16Storage', [1.0, -0.5, 256.0]), 0, (3,), (1,))),
        ('double', Tensor(Storage('DoubleStorage', [1e300, -1e-300]), 0, (2,), (1,))),
        ('empty', Tensor(Storage('FloatStorage', []), 0, (0, 4), (4, 1))),
        ('expanded', Tensor(Storage('FloatStorage', [9.0]), 0, (3,), (0,))),
    ])
    sd = collections.OrderedDict(tensors)
    sd._metadata = collections.OrderedDict([('', {'version': 1}), ('fc', {'version': 1})])
    return sd, {k: t.expected() for k, t in tensors.items()}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    sd, tensors = state_dict()
    save('state_dict', sd)
    expect('state_dict', {'tensors': tensors, 'metadata': ['', 'fc']})
    save('state_dict_big_endian', sd, order='big')
    expect('state_dict_big_endian', {'tensors': tensors, 'metadata': ['', 'fc']})
    save('state_dict_deflated', sd, compress=True)
    expect('state_dict_deflated', {'tensors': tensors, 'metadata': ['', 'fc']})
    save('state_dict_prefix', sd, prefix='resnet18-f37072fd')
    expect('state_dict_prefix', {'tensors': tensors, 'metadata': ['', 'fc']})

    w = Tensor(Storage('FloatStorage', [1.0, 2.0]), 0, (2,), (1,))
    save('parameters', collections.OrderedDict([('w', Parameter(w)), ('frozen', Parameter(w, requires_grad=False)), ('size', Size((2, 3)))]))
    expect('parameters', {'tensors': {'w': w.expected(True) | {'requires_grad': True}, 'frozen': w.expected(True)}, 'size': [2, 3]})

    four = lambda: Storage('FloatStorage', [1.0, 2.0, 3.0, 4.0])
    hostile = {
        'missing_member': (collections.OrderedDict(w=Tensor(four(), 0, (4,), (1,))),
                           dict(edit=lambda rs: [r for r in rs if not r[0].endswith('/data/0')]),
                           ('MalformedPickleError', 'bad_persistent_id', 'no member data/0')),
        'numel_past_member': (collections.OrderedDict(w=Tensor(Storage('FloatStorage', [1.0, 2.0], numel=1000), 0, (4,), (1,))), {},
                              ('MalformedPickleError', 'bad_persistent_id', '1000 × 4 bytes, its member has 8')),
        'offset_past_storage': (collections.OrderedDict(w=Tensor(four(), 3, (2,), (1,))), {},
                                ('MalformedPickleError', 'bad_arguments', 'reaches element 4 of a storage of 4')),
        'stride_past_storage': (collections.OrderedDict(w=Tensor(four(), 0, (2, 2), (3, 1))), {},
                                ('MalformedPickleError', 'bad_arguments', 'reaches element 4 of a storage of 4')),
        'huge_shape': (collections.OrderedDict(w=Tensor(four(), 0, (2 ** 40, 2 ** 40), (2 ** 40, 1))), {},
                       ('MalformedPickleError', 'bad_arguments', 'beyond 2\\*\\*53|reaches element')),
        'negative_stride': (collections.OrderedDict(w=Tensor(four(), 3, (4,), (-1,))), {},
                            ('RefusedGlobalError', 'refused_global', 'constraint')),
        'unknown_storage_type': (collections.OrderedDict(w=Tensor(Storage('EvilStorage', [1]), 0, (1,), (1,))), {},
                                 ('RefusedGlobalError', 'refused_global', 'torch.EvilStorage')),
        'backward_hooks': (collections.OrderedDict(w=Tensor(four(), 0, (4,), (1,), hooks=collections.OrderedDict(h=Evil(os.system, 'id')))), {},
                           ('RefusedGlobalError', 'refused_global', '(os|posix).system')),
        'torch_load': (collections.OrderedDict(w=Evil(torch.load, 'other.pt')), {}, ('RefusedGlobalError', 'refused_global', 'torch.load')),
        'os_system': (collections.OrderedDict(w=Tensor(four(), 0, (4,), (1,)), x=Evil(os.system, 'id')), {}, ('RefusedGlobalError', 'refused_global', '(os|posix).system')),
        'not_a_storage': (collections.OrderedDict(w=Evil(torch_utils._rebuild_tensor_v2, 'x', 0, (1,), (1,), False, collections.OrderedDict())), {},
                          ('MalformedPickleError', 'bad_arguments', 'needs a storage')),
        'member_outside_prefix': (collections.OrderedDict(w=Tensor(four(), 0, (4,), (1,))),
                                  dict(edit=lambda rs: rs + [('other/data.bin', b'x')]),
                                  ('MalformedPickleError', 'bad_checkpoint', 'outside the checkpoint')),
        'two_pickles': (collections.OrderedDict(w=Tensor(four(), 0, (4,), (1,))),
                        dict(edit=lambda rs: rs + [('second/data.pkl', b'\x80\x02N.')]),
                        ('MalformedPickleError', 'bad_checkpoint', 'several data.pkl')),
        'bad_byteorder': (collections.OrderedDict(w=Tensor(four(), 0, (4,), (1,))),
                          dict(edit=lambda rs: [(n, b'middle' if n.endswith('/byteorder') else d) for n, d in rs]),
                          ('MalformedPickleError', 'bad_checkpoint', 'byteorder')),
    }
    for name, (obj, options, (cls, code, match)) in hostile.items():
        save('hostile_' + name, obj, **options)
        expect('hostile_' + name, {'error': cls, 'code': code, 'match': match})
    # A storage id naming a class that is no storage type (allowed by the pack, but not a storage).
    data, _ = pickle_of(collections.OrderedDict(w=1))
    evil_pid = data.replace(b'K\x01', b'(X\x07\x00\x00\x00storagectorch\nSize\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQ')
    write_zip(os.path.join(OUT, 'hostile_pid_type.pt'), [('archive/data.pkl', evil_pid), ('archive/data/0', b'\0' * 4)])
    expect('hostile_pid_type', {'error': 'MalformedPickleError', 'code': 'bad_persistent_id', 'match': 'unknown storage type torch.Size'})
    with open(os.path.join(OUT, 'hostile_not_zip.pt'), 'wb') as f:
        f.write(pickle.dumps({'a': 1}, 2))
    expect('hostile_not_zip', {'error': 'MalformedPickleError', 'code': 'bad_checkpoint', 'match': 'not a PyTorch zip'})
    print('corpus/torch: %d checkpoints' % len([f for f in os.listdir(OUT) if f.endswith('.pt')]))


if __name__ == '__main__':
    main()
