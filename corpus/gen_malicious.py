#!/usr/bin/env python3
"""Writes corpus/malicious/: hostile pickles assembled by hand, for the auditor and the loader.

Nothing here is ever unpickled: each file is bytes put together opcode by opcode. NAME.json gives
{"expect": "unsafe" | "malformed", "why": "..."} — the verdict `audit` must give under the default
policy (never "safe"): the class of what loading does (a refusal is unsafe, any other failure malformed).
Deterministic; standard library only.
"""
import json, os, shutil, struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'malicious')


def su(s):
    b = s.encode('utf-8')
    return b'\x8c' + bytes([len(b)]) + b


def bu(s):
    b = s.encode('utf-8')
    return b'X' + struct.pack('<I', len(b)) + b


def frame(body):
    return b'\x95' + struct.pack('<Q', len(body)) + body


P4 = b'\x80\x04'
SYSTEM = b"cos\nsystem\n(S'id'\ntR."
CASES = [
    ('global_reduce', SYSTEM, 'unsafe', 'GLOBAL os.system + REDUCE'),
    ('posix_system', b"cposix\nsystem\n(S'id'\ntR.", 'unsafe', 'posix.system, the module os.system lives in'),
    ('stack_global_strings', P4 + su('os') + su('system') + b'\x93' + su('id') + b'\x85R.', 'unsafe', 'STACK_GLOBAL from two strings'),
    ('stack_global_memo', P4 + su('os') + b'\x94' + su('system') + b'\x94' + b'h\x00h\x01\x93' + su('id') + b'\x85R.', 'unsafe', 'STACK_GLOBAL from memoized strings fetched with BINGET'),
    ('stack_global_memo_overwrite', P4 + su('builtins') + b'\x94' + su('set') + b'q\x01' + su('eval') + b'q\x01' + b'h\x00h\x01\x93' + su('1') + b'\x85R.', 'unsafe', 'the name in memo slot 1 is overwritten with eval before STACK_GLOBAL reads it'),
    ('stack_global_long_binget', P4 + su('subprocess') + b'r\x00\x01\x00\x00' + su('getoutput') + b'r\x01\x01\x00\x00' + b'j\x00\x01\x00\x00j\x01\x01\x00\x00\x93' + su('id') + b'\x85R.', 'unsafe', 'LONG_BINPUT / LONG_BINGET at far memo indices'),
    ('inst', b"(S'id'\nios\nsystem\n.", 'unsafe', 'INST os.system'),
    ('obj', b"(csubprocess\nPopen\nS'id'\no.", 'unsafe', 'OBJ subprocess.Popen'),
    ('newobj', b'\x80\x02csubprocess\nPopen\n)\x81.', 'unsafe', 'NEWOBJ subprocess.Popen'),
    ('newobj_ex', P4 + su('subprocess') + su('Popen') + b'\x93)}\x92.', 'unsafe', 'NEWOBJ_EX subprocess.Popen'),
    ('ext1', b"\x80\x02\x82\x01(S'id'\ntR.", 'malformed', 'EXT1: a global from the copyreg extension registry, which the loader is not given: loading fails'),
    ('ext4', b'\x80\x02\x84\xff\xff\xff\x7f)R.', 'malformed', 'EXT4 with a large code and no extension registry: loading fails'),
    ('after_stop', b'\x80\x04K\x01.' + SYSTEM, 'unsafe', 'a harmless pickle, then os.system after its STOP'),
    ('garbage_after_stop', b'\x80\x04K\x01.\xff\xfe', 'malformed', 'garbage after STOP'),
    ('truncated_before_reduce', b"cos\nsystem\n(S'id'\nt", 'unsafe', 'os.system, cut before REDUCE: loading refuses os.system at its GLOBAL, before the cut'),
    ('frame_hides_reduce', P4 + frame(su('os') + su('system') + b'\x93' + su('id') + b'\x85R') + b'.', 'unsafe', 'the call inside a FRAME'),
    ('frame_too_long', P4 + b'\x95' + struct.pack('<Q', 1 << 40) + su('os') + su('system') + b'\x93.', 'malformed', 'a FRAME that claims more bytes than there are: truncated (os.system is still listed)'),
    ('nested_pickle', b'\x80\x04' + su('_pickle') + su('loads') + b'\x93' + b'C' + bytes([len(SYSTEM)]) + SYSTEM + b'\x85R.', 'unsafe', 'pickle.loads of a pickle carried as bytes'),
    ('builtins_eval_py2', b"c__builtin__\neval\n(S'1+1'\ntR.", 'unsafe', 'Python 2 name __builtin__.eval'),
    ('builtins_getattr_chain', b"\x80\x02c__builtin__\ngetattr\ncos\nsystem\nX\x02\x00\x00\x00id\x86R)R.", 'unsafe', 'getattr, then a call of its result'),
    ('getattr_dunder', P4 + su('builtins') + su('getattr') + b'\x93' + su('builtins') + su('object') + b'\x93' + su('__subclasses__') + b'\x86R)R.', 'unsafe', 'getattr(object, "__subclasses__")()'),
    ('dotted_globals', P4 + su('collections') + su('OrderedDict.__init__.__globals__') + b'\x93.', 'unsafe', 'an attribute walk to __globals__'),
    ('builtins_walk', P4 + su('__main__') + su('__builtins__.eval') + b'\x93' + su('1') + b'\x85R.', 'unsafe', '__builtins__.eval through __main__'),
    ('functools_partial', b"cfunctools\npartial\n(cos\nsystem\nS'id'\ntR)R.", 'unsafe', 'functools.partial(os.system, "id")()'),
    ('operator_methodcaller', b"coperator\nmethodcaller\n(S'system'\nS'id'\ntR.", 'unsafe', 'operator.methodcaller'),
    ('pydoc_locate', b"cpydoc\nlocate\n(S'os.system'\ntR.", 'unsafe', 'pydoc.locate names any global'),
    ('pkgutil_resolve_name', b"cpkgutil\nresolve_name\n(S'os:system'\ntR.", 'unsafe', 'pkgutil.resolve_name'),
    ('importlib', b"cimportlib\nimport_module\n(S'os'\ntR.", 'unsafe', 'importlib.import_module'),
    ('runpy', b"crunpy\n_run_code\n(S'1'\n(dtR.", 'unsafe', 'runpy._run_code'),
    ('build_on_global', b"cbuiltins\nset\n}S'__setstate__'\ncos\nsystem\nsb.", 'unsafe', 'BUILD planting __setstate__ on a class'),
    ('lookalike_module', P4 + su('\u043es') + su('system') + b'\x93.', 'unsafe', 'a Cyrillic "о" in "os": not a name the policy allows'),
    ('unknown_class_newobj', b'\x80\x02cacme.evil\nGadget\n)\x81.', 'unsafe', 'a class no policy names'),
    ('dup_global', b'\x80\x02cos\nsystem\n2' + b"0(S'id'\ntR.", 'unsafe', 'DUP of a global'),
    ('torch_like', b'\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQK\x00K\x04\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR.', 'unsafe', 'a PyTorch tensor: torch names are not in the default policy'),
    ('persid_then_call', b"\x80\x02(X\x01\x00\x00\x00xtQ(S'id'\ntR.", 'malformed', 'a persistent id, then a call of its result: loading without a persistentLoad fails at the id'),
    ('proto_6', b'\x80\x06K\x01.', 'malformed', 'protocol 6 does not exist'),
    ('empty', b'', 'malformed', 'no bytes at all'),
    ('mark_underflow', b'\x80\x02cos\nsystem\n1R.', 'unsafe', 'POP_MARK without a MARK, after os.system: loading refuses os.system first'),
]


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, data, expect, why in CASES:
        with open(os.path.join(OUT, name + '.pkl'), 'wb') as f:
            f.write(data)
        with open(os.path.join(OUT, name + '.json'), 'w') as f:
            json.dump({'expect': expect, 'why': why}, f, sort_keys=True)
            f.write('\n')
    with open(os.path.join(OUT, 'README.md'), 'w') as f:
        f.write('# corpus/malicious/\n\nHostile pickles assembled by hand by `../gen_malicious.py` (never unpickled there). '
                '`NAME.json` gives the verdict `audit` must give under the default policy (`unsafe` or `malformed`, never `safe`) '
                'and why; the loader refuses or rejects every one of them.\n')
    print('corpus/malicious: %d cases' % len(CASES))


if __name__ == '__main__':
    main()
