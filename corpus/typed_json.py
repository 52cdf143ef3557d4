"""The scalar part of corpus/README.md's typed JSON, shared by the corpus generators."""

NOT_SCALAR = object()


def scalar(v):
    """Typed JSON for None, bool, int, float, str, bytes and bytearray; NOT_SCALAR for anything else."""
    t = type(v)
    if v is None or t is bool:
        return v
    if t is int:
        return {'int': str(v)}
    if t is float:
        return {'float': repr(v)}
    if t is str:
        return {'str': v}
    if t is bytes:
        return {'bytes': v.hex()}
    if t is bytearray:
        return {'bytearray': v.hex()}
    return NOT_SCALAR
