#!/usr/bin/env python3
"""Golden fixtures for the crop baseline (`CandidateCropRenderer`, issue 10 item 5).

For a few candidate locations of the committed photo preprocess/cub_500x375.jpg, writes
candidate_crops/<name>.png: Pillow's `im.crop(window).resize((S, S), Image.BICUBIC)`, i.e. the
square window of the ORIGINAL photo around the candidate, as CLIP's `_transform(S)` would
preprocess that crop saved as a photo of its own (for a square crop, Resize(S) + CenterCrop(S)
is this one resize). candidate_crops/manifest.json lists each case: candidate, region, side,
output size and the window, computed here independently of the Swift code with the documented
rule:

    side   = min(requested side, region's shorter side)   (a fraction f: round(f * shorter))
    left   = round(x - side / 2), clamped to [region.x, region.x + region.width - side]
    top    = round(y - side / 2), clamped likewise

(round = round half up, as Swift's `.rounded()` on the values used here: no case is a tie.)

Exact command (from the package root, Pillow 13.0.0, Python 3.11):
    python3 Tests/ImagingTests/Fixtures/make_candidate_crop_golden.py
Re-running rewrites every file with identical bytes for the same Pillow build.
"""

import json
import math
import os

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = "cub_500x375.jpg"
OUT = os.path.join(HERE, "candidate_crops")
MANIFEST_VERSION = 1
SIZE = 48  # model input side of the fixtures (small files; the rule does not depend on it)

# (name, candidate x, y, region [x, y, w, h] or None for the whole photo, side: fraction or "Npx")
CASES = [
    ("interior", 250.3, 180.7, None, 0.25),  # side round(0.25 * 375) = 94, downscaled to 48
    ("top_left_clamped", 10.0, 5.5, None, 0.25),  # window shifted to (0, 0)
    ("bottom_right_clamped", 497.2, 370.9, None, 0.25),  # window shifted to (406, 281)
    ("small_upscaled", 120.6, 200.2, None, "20px"),  # 20 px crop upsampled to 48
    ("same_size", 300.0, 100.0, None, "48px"),  # side equals the output: no resize
    ("box_region", 130.0, 90.0, [100, 60, 200, 150], 0.5),  # side 75 of the box, clamped inside it
    ("oversized_side", 400.0, 200.0, [100, 60, 200, 150], "400px"),  # capped at the box's 150
]


def window(x, y, region, side, width, height):
    rx, ry, rw, rh = region if region else (0, 0, width, height)
    shorter = min(rw, rh)
    if isinstance(side, str):
        s = int(side[:-2])
    else:
        s = int(math.floor(side * shorter + 0.5))
    s = max(1, min(s, shorter))
    left = int(math.floor(x - s / 2 + 0.5))
    top = int(math.floor(y - s / 2 + 0.5))
    left = min(max(left, rx), rx + rw - s)
    top = min(max(top, ry), ry + rh - s)
    return [left, top, s, s]


def main():
    os.makedirs(OUT, exist_ok=True)
    photo = Image.open(os.path.join(HERE, "preprocess", SOURCE)).convert("RGB")
    cases = []
    for name, x, y, region, side in CASES:
        w = window(x, y, region, side, photo.width, photo.height)
        crop = photo.crop((w[0], w[1], w[0] + w[2], w[1] + w[3]))
        out = crop if crop.size == (SIZE, SIZE) else crop.resize((SIZE, SIZE), Image.BICUBIC)
        out.save(os.path.join(OUT, name + ".png"))
        cases.append(
            {"name": name, "x": x, "y": y, "region": region, "side": str(side), "size": SIZE, "window": w,
             "expected": name + ".png"})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"version": MANIFEST_VERSION, "source": "preprocess/" + SOURCE, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
