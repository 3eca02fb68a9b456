#!/usr/bin/env python3
"""Writes Tests/ImagingTests/Fixtures/png_truncation: small PNGs whose image data, or what
follows it, is cut short or damaged, and what Pillow makes of each (expected.json): the SHA-256
of `Image.open(f).convert("RGB").tobytes()` (and of the alpha plane, `convert("RGBA")`'s A band,
for the kinds with alpha), or the error it raises. The reference for PNGTruncationTests.

Pillow 13's rule (PIL/PngImagePlugin.py `load_read`/`load_end`, PIL/ImageFile.py `load`,
src/libImaging/ZipDecode.c), with the default ImageFile.LOAD_TRUNCATED_IMAGES = False:
- the decoder is fed the IDAT chunks' data as the file holds it (65536 bytes at a time, never
  past a chunk's end; a chunk whose length runs past the end of the file gives what is left) and
  stops at the image's last row (the last row of pass 7 when interlaced): the rest of the zlib
  stream (its end code, its Adler-32) is never read unless it came in the same feed;
- IDAT CRCs are read but never checked;
- once the last row is decoded, `load_end` reads the rest of that chunk and its CRC as far as the
  file goes, then chunk headers until IEND: one cut short or not a chunk type ends the walk, but
  a chunk whose data runs past the end of the file (another IDAT included) raises
  "Truncated File Read";
- before the last row, the end of the file (or a chunk that is not IDAT) raises "image file is
  truncated"; a wrong Adler-32 read with the last row raises "broken data stream";
- a zlib stream that ends (complete, Adler-32 right) on a row boundary before the last row is
  accepted: the rows it lacks stay black (ZipDecode returns "done" at Z_STREAM_END).

Each image kind (`kinds()`, 13x7) is written whole and in every form of `cases()`; the image data is
made here (random rows, every filter type) and deflated with zlib, so where each cut falls is
known exactly (`last_row_cut`: the longest prefix of the zlib stream that does not yet give every
byte of the raw rows). `read_size_cases()` checks the size of the reads.

Run from the repository root:  python3 Tests/ImagingTests/Fixtures/make_png_truncation_fixtures.py
Needs Pillow (pip install pillow==13.0.0; made with 13.0.0). Deterministic: same Pillow and zlib,
same bytes.
"""
import hashlib
import io
import json
import random
import re
import struct
import zlib
from pathlib import Path

import PIL
from PIL import Image

ROOT = Path(__file__).resolve().parent / "png_truncation"
VERSION = 1
SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH, HEIGHT = 13, 7  # odd sizes: every Adam7 pass is partial


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def kinds():
    """Name -> (colour type, bit depth, interlaced, samples per pixel)."""
    return {
        "rgb8": (2, 8, False, 3),
        "rgba8": (6, 8, False, 4),
        "gray8": (0, 8, False, 1),
        "pal8": (3, 8, False, 1),
        "rgb16": (2, 16, False, 3),
        "rgb8-adam7": (2, 8, True, 3),
        "pal4-adam7": (3, 4, True, 1),
    }


def pass_sizes(interlaced):
    """(width, height) of each pass that has pixels (one pass when not interlaced)."""
    if not interlaced:
        return [(WIDTH, HEIGHT)]
    starts = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    sizes = [((WIDTH - x + dx - 1) // dx, (HEIGHT - y + dy - 1) // dy) for x, y, dx, dy in starts]
    return [(w, h) for w, h in sizes if w > 0 and h > 0]


def raw_rows(name, rng):
    """The filtered rows as the zlib stream holds them: a filter byte (0...4 in turn), then bytes
    of a gradient with noise (so deflate finds matches and codes them)."""
    colour, depth, interlaced, samples = kinds()[name]
    out = bytearray()
    row = 0
    for w, h in pass_sizes(interlaced):
        length = (w * samples * depth + 7) // 8
        for _ in range(h):
            out.append(row % 5)
            out += bytes((3 * i + 11 * row + rng.randrange(6)) & 0xFF for i in range(length))
            row += 1
    return bytes(out)


def header_chunks(name, rng):
    colour, depth, interlaced, _ = kinds()[name]
    out = chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, depth, colour, 0, 0, 1 if interlaced else 0))
    if colour == 3:
        out += chunk(b"PLTE", bytes(rng.randrange(256) for _ in range(3 * (1 << depth))))
    return out


def last_row_cut(stream, raw):
    """The longest prefix of `stream` that inflates to fewer bytes than `raw` (the last row is
    then incomplete); one byte more gives every row."""
    for n in range(len(stream), 0, -1):
        if len(zlib.decompressobj().decompress(stream[:n])) < len(raw):
            assert len(zlib.decompressobj().decompress(stream[: n + 1])) == len(raw)
            return n
    raise AssertionError("no cut")


def cases(name):
    """Case name -> the file's bytes, for one image kind."""
    rng = random.Random(name)
    head = SIGNATURE + header_chunks(name, rng)
    raw = raw_rows(name, rng)
    stream = zlib.compress(raw, 9)
    assert zlib.decompress(stream) == raw
    idat = chunk(b"IDAT", stream)
    end = chunk(b"IEND", b"")
    cut = last_row_cut(stream, raw)

    def idat_declaring(data, extra):
        """An IDAT chunk header declaring `extra` bytes more than `data`, and the data (no CRC)."""
        return struct.pack(">I", len(data) + extra) + b"IDAT" + data

    def wrong_crc(c):
        return c[:-4] + struct.pack(">I", struct.unpack(">I", c[-4:])[0] ^ 0x00FF0000)

    adler_wrong = stream[:-4] + struct.pack(">I", struct.unpack(">I", stream[-4:])[0] ^ 1)
    third = len(stream) // 3
    parts = [stream[:third], stream[third : 2 * third], stream[2 * third :]]
    # A complete zlib stream (Adler-32 right) without the last row (the last pass's last row when
    # interlaced; both are full rows).
    _, depth, _, samples = kinds()[name]
    short_raw = raw[: len(raw) - 1 - (WIDTH * samples * depth + 7) // 8]
    files = {
        "whole": head + idat + end,
        # Cut after the image data, which is complete.
        "no-iend": head + idat,
        "iend-cut": head + idat + end[:6],
        "crc-cut": head + idat[:-2],
        "no-crc": head + idat[:-4],
        "past-the-end": head + idat_declaring(stream, 100),
        "adler-cut": head + idat_declaring(stream[:-2], 0),
        "last-row-whole": head + idat_declaring(stream[: cut + 1], 0),
        # Cut inside the image data.
        "last-row-cut": head + idat_declaring(stream[:cut], 0),
        "last-row-cut-past-the-end": head + idat_declaring(stream[:cut], 100),
        "half": head + idat_declaring(stream[: len(stream) // 2], len(stream) - len(stream) // 2),
        "after-header": head + idat[:8],
        # Damaged, not cut.
        "crc-wrong": head + wrong_crc(idat) + end,
        "crc-wrong-no-iend": head + wrong_crc(idat),
        "adler-wrong": head + chunk(b"IDAT", adler_wrong) + end,
        "adler-wrong-own-idat": head + chunk(b"IDAT", adler_wrong[:-4]) + chunk(b"IDAT", adler_wrong[-4:]) + end,
        "garbage-after-iend": head + idat + end + bytes(rng.randrange(256) for _ in range(37)),
        "garbage-after-idat": head + idat + bytes(rng.randrange(256) for _ in range(37)),
        "short-stream": head + chunk(b"IDAT", zlib.compress(short_raw, 9)) + end,
        # Several IDAT chunks.
        "multi-whole": head + b"".join(chunk(b"IDAT", p) for p in parts) + end,
        "multi-past-the-end": head + chunk(b"IDAT", parts[0]) + chunk(b"IDAT", parts[1])
        + idat_declaring(parts[2], 100),
        "multi-no-crc": head + chunk(b"IDAT", parts[0]) + chunk(b"IDAT", parts[1]) + chunk(b"IDAT", parts[2])[:-4],
        "multi-cut-in-second": head + chunk(b"IDAT", parts[0]) + idat_declaring(parts[1][:5], len(parts[1]) - 5),
        "multi-crc-wrong": head + chunk(b"IDAT", parts[0]) + wrong_crc(chunk(b"IDAT", parts[1]))
        + chunk(b"IDAT", parts[2]) + end,
        # The rows end in one IDAT; the stream's end is in a further one, cut short.
        "tail-idat-cut": head + chunk(b"IDAT", stream[: cut + 1]) + idat_declaring(stream[cut + 1 :][:2],
                                                                                     len(stream) - cut - 3),
        # The stream ends in the first IDAT; a further IDAT runs past the end of the file.
        "extra-idat-past-the-end": head + idat + idat_declaring(b"\0\0", 100),
    }
    return {case: data for case, data in files.items()}


def read_size_cases():
    """File name -> (bytes, width, height): the 64 KiB reads. A 1636x5 grey image whose zlib stream
    is one stored block (written by hand), so the last row ends at byte 8192 of the IDAT data,
    and a wrong Adler-32 after it: Pillow hands its decoder up to 65536 bytes at once
    (ImageFile.MAXBLOCK), sees the Adler-32 with the last row and refuses the file; a reader
    taking 8192 bytes at a time (libpng's default) would not see it before the last row."""
    width, height = 1636, 5
    rng = random.Random("read-size")
    raw = b"".join(bytes([y % 5]) + bytes(rng.randrange(256) for _ in range(width)) for y in range(height))
    stored = b"\x78\x01" + b"\x01" + struct.pack("<HH", len(raw), len(raw) ^ 0xFFFF) + raw
    assert len(stored) == 8192
    adler = zlib.adler32(raw)
    head = SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    end = chunk(b"IEND", b"")
    return {
        "whole": (head + chunk(b"IDAT", stored + struct.pack(">I", adler)) + end, width, height),
        "adler-wrong-after-8k": (head + chunk(b"IDAT", stored + struct.pack(">I", adler ^ 1)) + end, width, height),
    }


def digest(data):
    return hashlib.sha256(data).hexdigest()


def record(kind, case, data, width=WIDTH, height=HEIGHT, root=ROOT):
    """Writes `root`/KIND-CASE.png and gives Pillow's verdict on it: the mode `Image.open` gives
    and the digests of the pixels it decodes, or its error (also used by make_png_mode_fixtures.py)."""
    name = f"{kind}-{case}.png"
    (root / name).write_bytes(data)
    entry = {
        "file": name, "kind": kind, "case": case, "width": width, "height": height,
        "pillowError": None, "rgbSHA256": None, "alphaSHA256": None,
    }
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            entry["mode"] = im.mode
            entry["rgbSHA256"] = digest(im.convert("RGB").tobytes())
            if im.mode in ("RGBA", "LA") or "transparency" in im.info:
                entry["alphaSHA256"] = digest(im.convert("RGBA").getchannel("A").tobytes())
    except Exception as error:  # the reference pipeline has no image here
        message = re.sub(r" at 0x[0-9a-f]+", "", str(error))
        entry["pillowError"] = f"{type(error).__name__}: {message}"[:200]
    return entry


def main():
    ROOT.mkdir(exist_ok=True)
    for old in ROOT.glob("*.png"):
        old.unlink()
    entries = []
    for kind in kinds():
        for case, data in cases(kind).items():
            entries.append(record(kind, case, data))
    for case, (data, width, height) in read_size_cases().items():
        entries.append(record("gray8-stored-8k", case, data, width, height))
    manifest = {"version": VERSION, "pillow": PIL.__version__, "zlib": zlib.ZLIB_RUNTIME_VERSION, "images": entries}
    (ROOT / "expected.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
