"""Hostile bytes for the fuzz tests: arbitrary bytes, and well-formed JSON made hostile
in the ways that used to reach storage or the decoder's limits."""

from __future__ import annotations

import json

from hypothesis import strategies as st

DEEP = 5_000  # past the decoders' recursion limit (Python's, 1,000 by default)


def _insert_in_string(doc: bytes, pos: int, piece: bytes) -> bytes:
    """`piece` just inside the first string that opens at or after `pos` (or at the end
    of the document when there is none)."""
    at = doc.find(b'"', min(pos, len(doc)))
    if at < 0:
        at = doc.find(b'"')
    if at < 0:
        return doc + piece
    return doc[: at + 1] + piece + doc[at + 1 :]


def _in_object(doc: bytes, member: bytes) -> bytes:
    if doc.startswith(b"{") and doc != b"{}":
        return b"{" + member + b"," + doc[1:]
    return b"{" + member + b"}"


def mutate(doc: bytes, how: str, pos: int) -> bytes:
    if how == "invalid_utf8":
        piece = (b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80")[pos % 4]
        return _insert_in_string(doc, pos, piece)
    if how == "nul":
        return _insert_in_string(doc, pos, b"\\u0000")
    if how == "surrogate":
        return _insert_in_string(doc, pos, (b"\\ud800", b"\\udfff", b"\\ud800\\u0041")[pos % 3])
    if how == "deep":
        return b"[" * DEEP + doc + b"]" * DEEP
    if how == "deep_field":
        return _in_object(doc, b'"zz":' + b'{"a":' * DEEP + b"1" + b"}" * DEEP)
    if how == "bigint":
        field = (b"message_id", b"cursor", b"user_id", b"text")[pos % 4]
        number = str((2**64 + pos) * (-1 if pos % 2 else 1)).encode()
        return _in_object(doc, b'"' + field + b'":' + number)
    if how == "huge_float":
        return _in_object(doc, b'"message_id":1e400')
    if how == "bom":
        return b"\xef\xbb\xbf" + doc
    if how == "truncate":
        return doc[: pos % (len(doc) + 1)]
    raise ValueError(how)


MUTATIONS = [
    "invalid_utf8",
    "nul",
    "surrogate",
    "deep",
    "deep_field",
    "bigint",
    "huge_float",
    "bom",
    "truncate",
]


def _encode(value: object) -> bytes:
    try:
        return json.dumps(value).encode()
    except (ValueError, OverflowError):
        return b"{}"


def raw(documents: st.SearchStrategy[object]) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, or one of `documents` as JSON, made hostile."""
    made_hostile = st.builds(
        mutate, documents.map(_encode), st.sampled_from(MUTATIONS), st.integers(0, 400)
    )
    return st.one_of(st.binary(max_size=400), made_hostile, documents.map(_encode))
