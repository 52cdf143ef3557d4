#!/usr/bin/env python3
"""Writes corpus/hostile/: one hand-assembled pickle per reader ambiguity of issue 11.

Each file is bytes put together opcode by opcode; nothing is unpickled and no real callable is
pickled. manifest.json maps each name to {"class": the loading outcome under the default policy
("safe" | "unsafe" | "malformed", as test/helpers/outcome.ts classes it), "packs": {pack id:
class} where a shipped pack changes it, "why": one line, "cpython": what CPython's two readers
resolve and how they end, recorded by test/helpers/find_class_recorder.py (inert stand-ins)}.
Deterministic: rerunning gives no diff. Standard library only.
"""
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'hostile')
RECORDER = os.path.join(HERE, '..', 'test', 'helpers', 'find_class_recorder.py')

P2 = b'\x80\x02'
P4 = b'\x80\x04'
P5 = b'\x80\x05'
MEMOIZE = b'\x94'
POP = b'0'
STOP = b'.'


def su(s):
    """SHORT_BINUNICODE."""
    b = s.encode('utf-8')
    return b'\x8c' + bytes([len(b)]) + b


def binput(i):
    return b'r' + struct.pack('<I', i)


def binget(i):
    return b'j' + struct.pack('<I', i)


def frame(n):
    return b'\x95' + struct.pack('<Q', n)


def framed(body):
    return frame(len(body)) + body


def call(text):
    """(text,) then REDUCE: calls whatever global is on the stack."""
    return su(text) + b'\x85R'


def str0(s):
    """Protocol 0 STRING."""
    return b"S'" + s.encode('ascii') + b"'\n"


def swap_names(index_of):
    """
    Memo confusion to STACK_GLOBAL: a reader whose MEMOIZE numbering runs one ahead of CPython's
    reads builtins.set where CPython reads os.system. `index_of` is CPython's next MEMOIZE index.
    """
    c = index_of
    return (
        su('builtins') + MEMOIZE + POP + su('os') + MEMOIZE + POP + binget(c + 1)
        + su('set') + MEMOIZE + POP + su('system') + MEMOIZE + POP + binget(c + 3)
        + b'\x93' + call('echo pwned') + STOP
    )


def far_memo_audit():
    # 70000 lands in the auditor's sparse map (past its dense gap), 65000 and 71000 grow the dense
    # part over it, and PUT 70000 again is counted as new: MEMOIZE numbering runs one ahead.
    body = P4
    for i in (70000, 65000, 71000, 70000):
        body += su('x') + binput(i) + POP
    return body + swap_names(3)


def far_memo_loader(tail):
    # 5000 goes to the loader's sparse map; 100 MEMOIZEs and a PUT 1024 late in a long input grow
    # the dense memo past 5000, so PUT 5000 counts again (or GET 5000 misses it).
    body = P4 + su('x') + binput(5000) + POP
    body += (b'N' + MEMOIZE + POP) * 100
    body += su('x') + binput(1024) + POP
    body += tail
    return body


PAD = b'B' + struct.pack('<I', 40000) + b'\x00' * 40000 + POP


def cases():
    yield ('p0_put_leading_zero', 'unsafe', {},
           "protocol 0: PUT '010' is memo key 10 for CPython; read as octal 8 it leaves builtins where CPython has os",
           str0('os') + b'p8\n0' + str0('builtins') + b'p010\n0' + b'g8\n'
           + str0('system') + b'p9\n0' + str0('set') + b'p011\n0' + b'g9\n'
           + b'\x93(' + str0('echo pwned') + b'tR.')
    yield ('p0_get_leading_zero', 'unsafe', {},
           "protocol 0: GET '010' reads memo key 10 (os), not 8 (builtins)",
           str0('os') + b'p10\n0' + str0('builtins') + b'p8\n0' + b'g010\n'
           + str0('system') + b'p11\n0' + str0('set') + b'p9\n0' + b'g011\n'
           + b'\x93(' + str0('echo pwned') + b'tR.')
    yield ('far_memo_audit', 'unsafe', {},
           'a far memo index stored sparsely, then the dense part grows over it: counted twice, MEMOIZE runs one ahead (os.system for CPython)',
           far_memo_audit())
    yield ('far_memo_loader', 'unsafe', {},
           "the same double count at the loader's sparse threshold (5000, then dense growth sized from a long input)",
           far_memo_loader(su('x') + binput(5000) + POP + swap_names(102)[:-1] + POP + PAD + b'N' + STOP))
    yield ('far_memo_get_valid', 'safe', {},
           'a valid pickle that GETs a far memo entry after the dense memo grew past it (CPython loads it)',
           far_memo_loader(binget(5000) + POP + PAD + b'N' + STOP))
    yield ('two_pickles_memo', 'unsafe', {},
           "the second pickle's MEMOIZE numbering continues the first's (the memo carries over): its GET 0/1 read os/system",
           P4 + su('os') + binput(0) + su('system') + binput(1) + b'\x86' + STOP
           + P4 + su('builtins') + MEMOIZE + POP + su('set') + MEMOIZE + POP + binget(0) + binget(1) + b'\x93' + call('echo pwned') + STOP)
    yield ('second_pickle_payload', 'unsafe', {},
           'a harmless pickle, then os.system in the next one',
           P4 + b'K\x01.' + P4 + su('os') + su('system') + b'\x93' + call('id') + STOP)
    yield ('appends_on_dict', 'malformed', {}, 'APPENDS on a dict (CPython: AttributeError)', P4 + b'}(K\x01e.')
    yield ('append_on_dict', 'malformed', {}, 'APPEND on a dict', P4 + b'}K\x01a.')
    yield ('setitems_on_list', 'malformed', {}, 'SETITEMS on a list (CPython: IndexError)', P4 + b'](K\x00K\x01u.')
    yield ('setitems_on_nonempty_list', 'malformed', {}, 'SETITEMS on a one-item list (CPython sets list[0]; the loader refuses)', P4 + b']K\x05a(K\x00K\x07u.')
    yield ('setitem_on_list', 'malformed', {}, 'SETITEM on a list', P4 + b']K\x00K\x01s.')
    yield ('additems_on_list', 'malformed', {}, 'ADDITEMS on a list (CPython: no add)', P4 + b'](K\x01\x90.')
    yield ('unhashable_dict_key', 'malformed', {}, 'a list as a dict key (CPython: TypeError)', P4 + b'}(]K\x01u.')
    yield ('unhashable_set_item', 'malformed', {}, 'a list as a set item', P4 + b'\x8f(]\x90.')
    yield ('odd_setitems', 'malformed', {}, 'SETITEMS with an odd number of items', P4 + b'}(K\x01K\x02K\x03u.')
    yield ('next_buffer_no_buffers', 'malformed', {}, 'NEXT_BUFFER with no buffers given', P5 + b'\x97.')
    yield ('readonly_buffer_on_int', 'malformed', {}, 'READONLY_BUFFER applied to an int', P5 + b'K\x01\x98.')
    yield ('persid_no_loader', 'malformed', {}, 'PERSID with no persistent loader', b'Pabc\n.')
    yield ('binpersid_no_loader', 'malformed', {}, 'BINPERSID with no persistent loader', P2 + b'K\x01Q.')
    yield ('nesting_past_max_depth', 'malformed', {}, 'lists nested 20,001 deep (maxDepth is 20,000)', P4 + b']' * 20001 + b'a' * 20000 + STOP)
    yield ('unclosed_mark_bomb', 'malformed', {}, '20,001 MARKs never closed (past maxDepth 20,000), then None: CPython returns None', b'(' * 20_001 + b'N.')
    yield ('bytearray_huge', 'unsafe', {}, 'bytearray(10**10): an allowed callable whose reconstructor refuses the argument',
           P4 + su('builtins') + su('bytearray') + b'\x93' + b'\x8a\x05\x00\xe4\x0bT\x02' + b'\x85R.')
    yield ('codecs_encode_rot13', 'unsafe', {}, "_codecs.encode('abc', 'rot13'): a codec other than latin1",
           P4 + su('_codecs') + su('encode') + b'\x93' + su('abc') + su('rot13') + b'\x86R.')
    yield ('frame_arg_past_end', 'malformed', {}, "a SHORT_BINUNICODE whose bytes run past its FRAME's end",
           P4 + frame(3) + b'\x8c\x05hello.')
    yield ('frame_in_frame', 'malformed', {}, 'a FRAME inside an unfinished frame, then os.system',
           P4 + frame(14) + b'K\x01' + POP + framed(su('os') + su('system') + b'\x93' + call('id')) + STOP)
    yield ('frame_longer_than_input', 'malformed', {}, 'a FRAME longer than the input (the pure-Python reader reads on)',
           P4 + frame(1 << 20) + b'K\x01.')
    yield ('frame_crossing_payload', 'malformed', {}, "os.system's name runs past the frame's end",
           P4 + frame(7) + su('os') + su('system') + b'\x93' + call('id') + STOP)
    yield ('numpy_joined_name', 'unsafe', {'numpy': 'unsafe'},
           "'numpy.core.multiarray' + '_reconstruct' (allowed by the numpy pack), then 'numpy' + 'core.multiarray._reconstruct' (not allowed)",
           P4 + su('numpy.core.multiarray') + su('_reconstruct') + b'\x93' + POP + su('numpy') + su('core.multiarray._reconstruct') + b'\x93' + STOP)
    yield ('zoneinfo_joined_name', 'unsafe', {},
           "'zoneinfo' + 'ZoneInfo._unpickle' (allowed), then 'zoneinfo.ZoneInfo' + '_unpickle' (not allowed) called",
           P4 + su('zoneinfo') + su('ZoneInfo._unpickle') + b'\x93' + POP + su('zoneinfo.ZoneInfo') + su('_unpickle') + b'\x93'
           + su('UTC') + b'K\x01\x86R.')
    yield ('global_module_space', 'unsafe', {}, "GLOBAL with the module 'os system' (a name with a space): the pair is ('os system', 'x')",
           b'cos system\nx\n)R.')
    yield ('stack_global_module_space', 'unsafe', {}, "STACK_GLOBAL ('builtins set', 'x'): joined and split at the space it would read as builtins.'set x'",
           P4 + su('builtins set') + su('x') + b'\x93' + STOP)
    yield ('payload_then_parse_error', 'unsafe', {}, 'os.system called, then a byte that is no opcode: refused before the error',
           P4 + su('os') + su('system') + b'\x93' + call('id') + b'\xff' + STOP)
    yield ('payload_then_truncation', 'unsafe', {}, 'os.system called, then the input ends before STOP',
           P4 + su('os') + su('system') + b'\x93' + call('id'))
    yield ('second_pickle_payload_then_error', 'unsafe', {}, 'a harmless pickle, then os.system and garbage in the next',
           P4 + b'K\x01.' + P4 + su('os') + su('system') + b'\x93' + call('id') + b'\xff')
    yield ('error_then_payload', 'malformed', {}, 'garbage first, os.system after it: loading stops at the garbage',
           P4 + b'\xff' + su('os') + su('system') + b'\x93' + call('id') + STOP)
    yield ('empty', 'malformed', {}, 'no bytes at all (EOFError)', b'')


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith('.pkl') or name == 'manifest.json':
            os.remove(os.path.join(OUT, name))
    all_cases = list(cases())
    paths = []
    for name, _, _, _, data in all_cases:
        path = os.path.join(OUT, name + '.pkl')
        with open(path, 'wb') as fh:
            fh.write(data)
        paths.append(path)
    recorded = json.loads(subprocess.run([sys.executable, RECORDER, *paths], check=True, capture_output=True).stdout)
    manifest = {}
    for (name, cls, packs, why, _), seen in zip(all_cases, recorded):
        entry = {'class': cls, 'why': why, 'cpython': seen}
        if packs:
            entry['packs'] = packs
        manifest[name] = entry
    with open(os.path.join(OUT, 'manifest.json'), 'w') as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
        fh.write('\n')
    print(f'{len(all_cases)} files in {OUT}')


if __name__ == '__main__':
    main()
