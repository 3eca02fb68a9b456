#!/usr/bin/env python3
"""Golden CLIP canvases of 16-bit grey PNGs (Pillow mode "I;16"), for PreprocessTests.

OpenAI CLIP's `_transform(n_px)` resizes the image as `Image.open` gives it, before
`convert("RGB")`. For a 16-bit grey PNG that is mode "I;16", which Pillow resamples with its
16-bit path (src/libImaging/Resample.c `_ImagingResampleHorizontal_16bpc` / `_Vertical_16bpc`:
double coefficients, ROUND_UP, CLIP16 to 0...65535 after each pass); the crop is then converted
to RGB by clipping each sample to 255 (Convert.c `I16_RGB`). The sources here are synthetic:
values spanning 0...65535, with sharp edges at and around 255/256 and 0/65535, so that bicubic
overshoot below 0 and above 65535 and the clip at 255 all change the result.

Writes, next to this script, grey16_canvas/:
  <name>.png                 the 16-bit grey sources (Pillow saves "I;16" as PNG grey, 16 bit);
  expected/<name>_n<N>.png   the 8-bit RGB canvas: `clip_canvas` of make_preprocess_golden.py
                             (torchvision Resize(N, BICUBIC), CenterCrop(N), convert("RGB"));
  manifest.json              per case: Pillow mode, resized size, crop origin, the canvas file
                             and the SHA-256 of the 16-bit crop before convert("RGB") (samples
                             as little-endian uint16, row-major), which pins the resample itself.

Only Pillow and numpy are used. Exact command (from the package root, Pillow 13.0.0, numpy,
Python 3.11):
    python3 Tests/ImagingTests/Fixtures/make_grey16_canvas_fixtures.py
Re-running rewrites every file with identical bytes for the same Pillow build.
"""

import hashlib
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_preprocess_golden import clip_canvas  # noqa: E402 - the shared CLIP canvas recipe

OUT = os.path.join(HERE, "grey16_canvas")
MANIFEST_VERSION = 1

# Sample values around the two clips: 0/1, 254...257 (convert's clip at 255), 65534/65535.
LEVELS = np.array([0, 1, 100, 200, 254, 255, 256, 257, 300, 511, 1000, 4096, 32768, 65000, 65534, 65535])


def source(width, height, seed):
    """A (height, width) uint16 image: random blocks of LEVELS (sharp edges), a 0/65535 checker
    band, a 200/300 checker band (around 255), a 0...65535 ramp and a 0...511 ramp."""
    rng = np.random.default_rng(seed)
    bw, bh = max(1, width // 9), max(1, height // 7)
    blocks = rng.choice(LEVELS, size=(height // bh + 1, width // bw + 1))
    a = np.repeat(np.repeat(blocks, bh, axis=0), bw, axis=1)[:height, :width].astype(np.uint16)
    yy, xx = np.mgrid[0:height, 0:width]
    band = height // 5
    a[band:2 * band] = np.where((xx + yy)[band:2 * band] % 2 == 0, 0, 65535)
    a[2 * band:2 * band + band // 2] = np.where((xx + yy)[2 * band:2 * band + band // 2] % 2 == 0, 200, 300)
    a[:, : max(1, width // 8)] = (yy[:, : max(1, width // 8)] * 65535 // max(1, height - 1)).astype(np.uint16)
    a[-max(1, height // 8):, :] = (xx[-max(1, height // 8):, :] * 511 // max(1, width - 1)).astype(np.uint16)
    return a


# (name, width, height, n_px list): up- and down-scaling, both pass orders, no resize.
SOURCES = [
    ("grey16_37x23", 37, 23, [224, 336]),        # upscaled (~10x, ~15x)
    ("grey16_500x301", 500, 301, [224, 336]),    # downscaled / slightly upscaled height
    ("grey16_260x900", 260, 900, [224]),         # height shrinks > 2x the width: vertical pass first
    ("grey16_1000x400", 1000, 400, [336]),       # downscaled both ways, horizontal first
    ("grey16_224x260", 224, 260, [224]),         # shorter side = n_px: no resize, crop only
    ("grey16_61x340", 61, 340, [336]),           # upscaled, portrait
]


def main():
    os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
    cases = []
    for seed, (name, w, h, n_list) in enumerate(SOURCES):
        Image.fromarray(source(w, h, 1600 + seed)).save(os.path.join(OUT, name + ".png"))
        for n in n_list:
            im = Image.open(os.path.join(OUT, name + ".png"))
            mode = im.mode
            canvas, resized, origin = clip_canvas(im, n)
            # The same steps without the final convert: the 16-bit crop Pillow converts.
            im16 = Image.open(os.path.join(OUT, name + ".png"))
            if tuple(resized) != im16.size:
                im16 = im16.resize(resized, Image.BICUBIC)
            left, top = origin
            crop16 = np.asarray(im16.crop((left, top, left + n, top + n))).astype("<u2")
            out = f"expected/{name}_n{n}.png"
            canvas.save(os.path.join(OUT, out))
            cases.append({
                "source": name + ".png", "pillowMode": mode, "nPx": n, "resized": list(resized),
                "cropOrigin": list(origin), "expected": out,
                "crop16SHA256": hashlib.sha256(crop16.tobytes()).hexdigest(),
            })
    manifest = {
        "version": MANIFEST_VERSION, "generator": "make_grey16_canvas_fixtures.py", "pillow": PIL.__version__,
        "cases": cases,
    }
    with open(os.path.join(OUT, "manifest.json.tmp"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(os.path.join(OUT, "manifest.json.tmp"), os.path.join(OUT, "manifest.json"))
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {len(cases)} cases to {OUT}; {total} bytes")


if __name__ == "__main__":
    main()
