#!/usr/bin/env python3
"""Writes Tests/ImagingTests/Fixtures/png_modes: one small PNG per colour type, bit depth and
option (tRNS, Adam7 interlacing, palettes shorter than 2^depth, colour chunks sBIT / gAMA / cHRM /
sRGB / iCCP, invalid type-depth pairs), and what Pillow makes of each (expected.json): the mode
`Image.open(f)` gives, the SHA-256 of `Image.open(f).convert("RGB").tobytes()` (what Hugging
Face CLIPImageProcessor and OpenAI CLIP feed the model), the SHA-256 of the alpha plane
(`convert("RGBA")`'s A band, for files with alpha or a tRNS chunk), or the error Pillow raises.
The reference for PNGModeTests.

The PNGs are written here byte by byte (chunks and zlib by hand, filter type 0 on every row),
not by Pillow, which cannot write most of these variants. Samples are chosen so each conversion
shows: every value of a 1/2/4-bit sample, every palette index 0...255, 16-bit samples both
below 256 and above (Pillow opens 16-bit grey as "I;16", whose convert("RGB") clips each sample
to 255 instead of keeping its high byte: 300 -> 255, 100 -> 100), 16-bit low bytes that differ
from the high bytes.

Run from the repository root:  python3 Tests/ImagingTests/Fixtures/make_png_mode_fixtures.py
Needs Pillow (pip install pillow==13.0.0; made with 13.0.0, built with littlecms2 for the
iCCP profile) and numpy. Deterministic: same Pillow, numpy and zlib, same bytes.
"""
import json
import struct
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import PIL
from PIL import ImageCms

# Run as a script, this folder is on sys.path: the chunk writer and Pillow's verdict are shared
# (no __pycache__ beside them: the folder is copied into the test bundle).
sys.dont_write_bytecode = True
from make_png_truncation_fixtures import SIGNATURE, chunk, record  # noqa: E402

ROOT = Path(__file__).resolve().parent / "png_modes"
VERSION = 1
# 17x16 = 272 pixels: every palette index 0...255 appears (in reading order), the width is odd
# (rows of 1/2/4-bit samples end inside a byte) and every Adam7 pass is partial.
WIDTH, HEIGHT = 17, 16
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

# Pillow warns when a palette image with a tRNS chunk is converted to RGB; that is the point.
warnings.filterwarnings("ignore", message="Palette images with Transparency")


def pack_row(row, depth):
    """One row of samples (1-D uint array) as PNG packs it: big-endian 16-bit, MSB-first below 8."""
    if depth == 16:
        return row.astype(">u2").tobytes()
    if depth == 8:
        return row.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    padded = np.concatenate([row, np.zeros((-len(row)) % per_byte, dtype=row.dtype)]).astype(np.uint8)
    out = np.zeros(len(padded) // per_byte, dtype=np.uint8)
    for k in range(per_byte):
        out |= padded[k::per_byte] << (8 - depth * (k + 1))
    return out.tobytes()


def raw_image(samples, depth, interlaced):
    """The uncompressed image data: filter byte 0 and the packed row, per row of each pass."""
    h, w, c = samples.shape
    out = bytearray()
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for row in sub:
            out.append(0)
            out += pack_row(row.reshape(-1), depth)
    return bytes(out)


def png(samples, depth, colour, interlaced=False, palette=None, trns=None, before=(), after_plte=()):
    """A PNG file: IHDR, `before` chunks, PLTE, `after_plte` chunks, tRNS, one IDAT, IEND."""
    h, w, _ = samples.shape
    out = SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 1 if interlaced else 0))
    for kind, data in before:
        out += chunk(kind, data)
    if palette is not None:
        out += chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    for kind, data in after_plte:
        out += chunk(kind, data)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(raw_image(samples, depth, interlaced), 9))
    return out + chunk(b"IEND", b"")


def samples_for(colour, depth, rng):
    """(HEIGHT, WIDTH, channels) samples of `depth` bits for a colour type."""
    c = CHANNELS[colour]
    n = WIDTH * HEIGHT
    top = (1 << depth) - 1
    if colour == 3:
        # Every index 0...2^depth - 1 in reading order, then random ones.
        first = np.arange(n) % (top + 1)
        return first.reshape(HEIGHT, WIDTH, 1).astype(np.uint16)
    if depth < 16:
        # Every value on the first 2^depth pixels (channel k shifted by 37k, so the channels
        # differ), the rest random.
        values = rng.integers(0, top + 1, (n, c))
        count = min(n, top + 1)
        for k in range(c):
            values[:count, k] = (np.arange(count) + 37 * k) % (top + 1)
        return values.reshape(HEIGHT, WIDTH, c).astype(np.uint16)
    # 16 bit: 0...255 on the first 256 pixels' first sample (below the I;16 clip), then edge values
    # around it, the rest random over the whole range with low bytes unlike the high ones.
    values = rng.integers(0, 65536, (n, c))
    values[:256, 0] = np.arange(256)
    edge = [255, 256, 257, 300, 511, 512, 0x00FF, 0x0100, 0x7FFF, 0x8000, 0xFF00, 0xFFFF, 0x01FE, 0xFE01, 1, 0]
    values[256 : 256 + len(edge), 0] = edge
    return values.reshape(HEIGHT, WIDTH, c).astype(np.uint16)


def palette_of(entries, rng):
    return rng.integers(0, 256, (entries, 3))


def srgb_profile():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def colour_chunks(colour, depth):
    """sBIT (one value under the depth per channel), gAMA (1/3.0, far from 1/2.2), cHRM (odd
    primaries), sRGB and a real iCCP profile: Pillow's convert ignores them all."""
    sbit_channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}[colour]
    sig = max(1, min(depth, 8) - 1) if colour == 3 else max(1, depth - 1)
    return {
        "sbit": [(b"sBIT", bytes([sig] * sbit_channels))],
        "gama": [(b"gAMA", struct.pack(">I", 33333))],
        "chrm": [(b"cHRM", struct.pack(">8I", 31270, 32900, 70000, 25000, 20000, 60000, 15000, 10000))],
        "srgb": [(b"sRGB", bytes([0]))],
        "iccp": [(b"iCCP", b"sRGB test\0\0" + zlib.compress(srgb_profile(), 9))],
        "gama-chrm-sbit": [
            (b"gAMA", struct.pack(">I", 100000)),
            (b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)),
            (b"sBIT", bytes([sig] * sbit_channels)),
        ],
    }


def variants():
    """File stem KIND-CASE (the colour type and depth, then the variant) -> PNG bytes."""
    rng = np.random.default_rng(20261201)
    files = {}
    valid = {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]}
    name = {0: "gray", 2: "rgb", 3: "pal", 4: "graya", 6: "rgba"}
    for colour, depths in valid.items():
        for depth in depths:
            samples = samples_for(colour, depth, rng)
            stem = f"{name[colour]}{depth}"
            pal = palette_of(1 << depth, rng) if colour == 3 else None
            for interlaced in (False, True):
                suffix = "-adam7" if interlaced else ""
                files[stem + (suffix or "-whole")] = png(samples, depth, colour, interlaced, palette=pal)
            # tRNS: grey and RGB give one transparent colour (one the image holds); palettes an
            # alpha per entry (fewer entries than the palette: the rest opaque).
            if colour == 0:
                key = int(samples[0, 3, 0])
                trns = struct.pack(">H", key)
                files[stem + "-trns"] = png(samples, depth, colour, trns=trns)
                files[stem + "-trns-adam7"] = png(samples, depth, colour, True, trns=trns)
            elif colour == 2:
                key = [int(v) for v in samples[0, 3]]
                trns = struct.pack(">HHH", *key)
                files[stem + "-trns"] = png(samples, depth, colour, trns=trns)
                files[stem + "-trns-adam7"] = png(samples, depth, colour, True, trns=trns)
            elif colour == 3:
                count = max(1, (1 << depth) * 3 // 4)
                trns = bytes(int(v) for v in rng.integers(0, 256, count))
                files[stem + "-trns"] = png(samples, depth, colour, palette=pal, trns=trns)
                files[stem + "-trns-adam7"] = png(samples, depth, colour, True, palette=pal, trns=trns)
                # A palette shorter than 2^depth: indices past its end.
                short = pal[: max(1, (1 << depth) // 2 - 1)]
                files[stem + "-short-palette"] = png(samples, depth, colour, palette=short)
                files[stem + "-short-palette-trns"] = png(
                    samples, depth, colour, palette=short, trns=trns[: len(short)])
            # Colour chunks, which Pillow ignores in convert (sBIT, gAMA, cHRM, sRGB, iCCP).
            for label, extra in colour_chunks(colour, depth).items():
                files[f"{stem}-{label}"] = png(samples, depth, colour, palette=pal, before=extra)
    # Edge cases of tRNS: a grey key out of the depth's range, a palette tRNS longer than PLTE,
    # a tRNS on a colour type that has alpha already.
    gray2 = samples_for(0, 2, rng)
    files["gray2-trns-out-of-range"] = png(gray2, 2, 0, trns=struct.pack(">H", 7))
    pal4 = samples_for(3, 4, rng)
    pal4_colours = palette_of(16, rng)
    files["pal4-trns-longer-than-plte"] = png(pal4, 4, 3, palette=pal4_colours[:8], trns=bytes(range(0, 240, 20)))
    rgba8 = samples_for(6, 8, rng)
    files["rgba8-with-trns"] = png(rgba8, 8, 6, trns=struct.pack(">HHH", 1, 2, 3))
    # A gAMA chunk of 1.0 and of 0 (invalid) on 16-bit grey: no conversion either way.
    gray16 = samples_for(0, 16, rng)
    files["gray16-gama-1"] = png(gray16, 16, 0, before=[(b"gAMA", struct.pack(">I", 100000))])
    files["gray16-gama-0"] = png(gray16, 16, 0, before=[(b"gAMA", struct.pack(">I", 0))])
    # An sRGB profile on a grey image (libpng: RGB profile not permitted on grey; a warning).
    files["gray8-iccp-rgb-profile"] = png(
        samples_for(0, 8, rng), 8, 0, before=[(b"iCCP", b"sRGB\0\0" + zlib.compress(srgb_profile(), 9))])
    # Invalid colour type / depth pairs: no reader should guess.
    files["rgb4-invalid"] = png(samples_for(2, 4, rng), 4, 2)
    files["pal16-invalid"] = png(samples_for(3, 16, rng).astype(np.uint16), 16, 3, palette=palette_of(256, rng))
    files["gray3-invalid"] = invalid_depth_gray()
    files["graya4-invalid"] = png(samples_for(4, 4, rng), 4, 4)
    return files


def invalid_depth_gray():
    """A grey PNG whose IHDR says depth 3 (not a PNG depth), with 8-bit-wide rows of data."""
    samples = np.zeros((HEIGHT, WIDTH, 1), dtype=np.uint16)
    data = png(samples, 8, 0)
    ihdr = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 3, 0, 0, 0, 0)
    return SIGNATURE + chunk(b"IHDR", ihdr) + data[8 + 25 :]


def main():
    ROOT.mkdir(exist_ok=True)
    for old in ROOT.glob("*.png"):
        old.unlink()
    entries = []
    for stem, data in variants().items():
        kind, case = stem.split("-", 1)
        entries.append(record(kind, case, data, WIDTH, HEIGHT, root=ROOT))
    manifest = {
        "version": VERSION,
        "generator": "make_png_mode_fixtures.py",
        "pillow": PIL.__version__,
        "numpy": np.__version__,
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
        "reference": 'Image.open(f).convert("RGB").tobytes(); alpha: convert("RGBA").getchannel("A")',
        "images": entries,
    }
    (ROOT / "expected.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(entries)} files to {ROOT}")


if __name__ == "__main__":
    main()
