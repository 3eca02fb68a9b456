#!/usr/bin/env python3
"""Writes Tests/ImagingTests/Fixtures/exif: tiny photos carrying an EXIF Orientation tag, and what
Pillow's ImageOps.exif_transpose makes of each (the reference for ExifOrientationTests and the
--exif-transpose CLI tests).

Run from the repository root:  python3 Tests/ImagingTests/Fixtures/make_exif_fixtures.py
Needs Pillow (pip install pillow; made with 13.0.0). Deterministic: same Pillow, same bytes.
"""
import json
import struct
from pathlib import Path

import PIL
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent / "exif"
BIRD = Path(__file__).resolve().parents[2] / "CLIPTests/Fixtures/images/bird.jpg"
VERSION = 2


def pattern(width, height, mode="RGB"):
    """Every pixel different, so any wrong permutation shows."""
    im = Image.new("RGB", (width, height))
    im.putdata([(40 * x + 10, 60 * y + 5, 255 - 30 * x - 50 * y) for y in range(height) for x in range(width)])
    return im


def tiff(orientation, big_endian=False, value_type=3):
    """A TIFF block with IFD0 holding one Orientation entry (SHORT or LONG), written by hand."""
    e = ">" if big_endian else "<"
    head = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    if value_type == 3:
        value = struct.pack(e + "HH", orientation, 0)
    else:
        value = struct.pack(e + "I", orientation)
    entry = struct.pack(e + "HHI", 0x0112, value_type, 1) + value
    return head + struct.pack(e + "H", 1) + entry + struct.pack(e + "I", 0)


def pillow_exif(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def record(name, **extra):
    """Opens the file as Image.open does, transposes it as exif_transpose does."""
    path = ROOT / name
    with Image.open(path) as im:
        im.load()
        orientation = im.getexif().get(0x0112)
        shown = ImageOps.exif_transpose(im)
    entry = {
        "file": name,
        "orientation": orientation if orientation in range(1, 9) else None,
        "storedWidth": im.width,
        "storedHeight": im.height,
        "width": shown.width,
        "height": shown.height,
        "rgb": shown.convert("RGB").tobytes().hex(),
    }
    if shown.mode == "RGBA":
        entry["alpha"] = shown.getchannel("A").tobytes().hex()
    if shown.mode == "CMYK":
        entry["cmyk"] = shown.tobytes().hex()
    entry.update(extra)
    return entry


def ifd_block(entries, extra=b"", big_endian=False):
    """A TIFF block whose IFD0 (at offset 8) holds `entries` (tag, type, count, 4 value bytes),
    followed by `extra` bytes (out-of-line values start at 8 + 2 + 12 * len(entries) + 4)."""
    e = ">" if big_endian else "<"
    out = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", len(entries))
    for tag, value_type, count, value in entries:
        out += struct.pack(e + "HHI", tag, value_type, count) + value
    return out + struct.pack(e + "I", 0) + extra


def tiff_cases():
    """Orientation entries as written by other software (several entries, several values,
    out-of-line values, other types): what Pillow reads from each, as ExifReader must.
    Not listed, because keypoints deliberately differs: RATIONAL, FLOAT, SBYTE and SSHORT/SLONG
    values equal to 2...8, which Pillow turns by (6.0 == 6) and ExifReader leaves as stored."""
    short = lambda v: struct.pack("<HH", v, 0)
    after1 = 8 + 2 + 12 + 4  # where an out-of-line value of a one-entry IFD starts
    return {
        "short-count-2": ([(0x0112, 3, 2, struct.pack("<HH", 6, 3))], b""),
        "short-count-3-out-of-line": ([(0x0112, 3, 3, struct.pack("<I", after1))], struct.pack("<HHH", 8, 3, 1)),
        "long-count-2-out-of-line": ([(0x0112, 4, 2, struct.pack("<I", after1))], struct.pack("<II", 3, 6)),
        "out-of-line-past-the-end": ([(0x0112, 3, 3, struct.pack("<I", 2600))], b""),
        "out-of-line-cut-short": ([(0x0112, 3, 3, struct.pack("<I", after1))], struct.pack("<HH", 6, 3)),
        "count-huge": ([(0x0112, 3, 100000, struct.pack("<I", after1))], struct.pack("<HH", 6, 3)),
        "first-of-two-wins": ([(0x0112, 3, 1, short(6)), (0x0112, 3, 1, short(3))], b""),
        "first-of-two-wins-1": ([(0x0112, 3, 1, short(1)), (0x0112, 3, 1, short(6))], b""),
        "first-invalid-wins": ([(0x0112, 3, 1, short(9)), (0x0112, 3, 1, short(6))], b""),
        "first-ascii-wins": ([(0x0112, 2, 2, b"6\0\0\0"), (0x0112, 3, 1, short(6))], b""),
        "empty-entry-skipped": ([(0x0112, 3, 0, short(6)), (0x0112, 3, 1, short(5))], b""),
        "after-another-tag": ([(0x010F, 2, 4, b"abc\0"), (0x0112, 3, 1, short(7))], b""),
        "byte-type": ([(0x0112, 1, 1, bytes([6, 0, 0, 0]))], b""),
        "undefined-type": ([(0x0112, 7, 1, bytes([6, 0, 0, 0]))], b""),
        "long-above-65535": ([(0x0112, 4, 1, struct.pack("<I", 65536 + 6))], b""),
        "big-endian-count-2": ([(0x0112, 3, 2, struct.pack(">HH", 8, 1))], b""),
    }


def record_tiff(name, entries, extra):
    """Pillow's reading of one TIFF block, through a JPEG's APP1 segment as Image.open meets it."""
    import io

    big_endian = name.startswith("big-endian")
    block = ifd_block(entries, extra, big_endian=big_endian)
    buf = io.BytesIO()
    Image.new("RGB", (4, 2)).save(buf, "JPEG", exif=b"Exif\0\0" + block)
    buf.seek(0)
    with Image.open(buf) as im:
        value = im.getexif().get(0x0112)
    applied = value if type(value) is int and value in range(1, 9) else None
    return {"name": name, "block": block.hex(), "orientation": applied}


def main():
    ROOT.mkdir(exist_ok=True)
    images = []
    base = pattern(7, 4)
    jpeg = dict(quality=95, subsampling=0)
    for n in range(1, 9):
        name = f"orientation-{n}.jpg"
        base.save(ROOT / name, exif=pillow_exif(n), **jpeg)  # Pillow writes "MM" (big endian)
        images.append(record(name, byteOrder="MM"))
    # Little-endian block, written by hand.
    base.save(ROOT / "orientation-6-ii.jpg", exif=b"Exif\0\0" + tiff(6, big_endian=False), **jpeg)
    images.append(record("orientation-6-ii.jpg", byteOrder="II"))
    # The value as a LONG, which Pillow accepts too.
    base.save(ROOT / "orientation-8-long.jpg", exif=b"Exif\0\0" + tiff(8, value_type=4), **jpeg)
    images.append(record("orientation-8-long.jpg", byteOrder="II"))
    # A value outside 1...8: Pillow leaves the pixels as stored.
    base.save(ROOT / "orientation-9.jpg", exif=b"Exif\0\0" + tiff(9), **jpeg)
    images.append(record("orientation-9.jpg", note=True))
    # PNG eXIf chunks; RGBA so the alpha plane is turned too.
    base.save(ROOT / "orientation-6.png", exif=pillow_exif(6))
    images.append(record("orientation-6.png"))
    rgba = base.copy()
    rgba.putalpha(Image.linear_gradient("L").resize((7, 4)))
    rgba.save(ROOT / "orientation-5-rgba.png", exif=pillow_exif(5))
    images.append(record("orientation-5-rgba.png"))
    # CMYK JPEG: the ink plane is turned too.
    base.convert("CMYK").save(ROOT / "orientation-7-cmyk.jpg", exif=pillow_exif(7), quality=95)
    images.append(record("orientation-7-cmyk.jpg"))

    # For the CLI tests: a crop of the bird photo tagged 6, and as Pillow shows it (transposed)
    # and stores it (as opened), both as PNG without EXIF.
    with Image.open(BIRD) as bird:
        crop = bird.convert("RGB").crop((40, 30, 120, 90))
    crop.save(ROOT / "bird-6.jpg", exif=pillow_exif(6), **jpeg)
    with Image.open(ROOT / "bird-6.jpg") as im:
        im.load()
        im.save(ROOT / "bird-6-stored.png")
        ImageOps.exif_transpose(im).save(ROOT / "bird-6-displayed.png")

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns of the malformed entries, as designed
        blocks = [record_tiff(name, *case) for name, case in tiff_cases().items()]
    manifest = {"version": VERSION, "pillow": PIL.__version__, "images": images, "tiffBlocks": blocks}
    (ROOT / "expected.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
