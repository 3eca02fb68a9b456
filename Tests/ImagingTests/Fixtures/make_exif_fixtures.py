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
VERSION = 1


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

    manifest = {"version": VERSION, "pillow": PIL.__version__, "images": images}
    (ROOT / "expected.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
