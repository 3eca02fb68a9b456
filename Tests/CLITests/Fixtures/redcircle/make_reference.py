#!/usr/bin/env python3
"""The red-circle method written out in plain PyTorch + Pillow + numpy, as a researcher would write
it from the paper ("What does CLIP know about a red circle?", ICCV 2023) and keypoints' documented
definitions, independent of the Swift code: the end-to-end reference of `keypoints localize`.

For every candidate of a one-stage grid it fits the photo to the model's square input, draws the
anti-aliased red circle at the candidate, normalises as OpenAI's CLIP does, encodes with
transformers' CLIPModel, and scores the cosine similarity with each prompt's text embedding. The
answer is the best candidate. It writes reference.json next to itself; LocalizeReferenceTests
(Tests/CLITests) runs `keypoints localize --scores --save-marked` on the same inputs and compares
every marked canvas (byte for byte), every score and the answers.

Definitions used (README, grids/README.md, Sources/Imaging/*.swift doc comments):
- Pixel coordinates are continuous, origin at the top-left corner, pixel (i, j) centred at
  (i + 0.5, j + 0.5).
- Grid: stage 0 of `{"grid": N}` is the N x N cell centres of the region (the photo, or the box),
  row-major (y, then x): x = region.x + (i + 0.5) * region.w / N.
- Fit "pad": the source (photo, or the pixels the box covers under --crop-to-box) is resized with
  Pillow's bicubic so that its longer side is S (shorter side round-half-up(S * short / long), at
  least 1), pasted at ((S - w') // 2, (S - h') // 2) on an S x S canvas of RGB (123, 117, 104).
  A point maps to the canvas as (p - source.origin) * resized / source.size + offset.
- Marker "circle", radius 0.06 and thickness 0.01 in fractions of S, rounded to whole pixels
  (each at least 1). Pixel (i, j) has 64 sample points (i + (m + 0.5) / 8, j + (l + 0.5) / 8);
  k of them lie in the ring max(0, r - t/2)^2 <= d^2 <= (r + t/2)^2 around the canvas point;
  out = (base * (64 - k) + colour * k + 32) >> 6 per channel.
- Model input: ToTensor then Normalize with OpenAI's mean and std, float32 (the canvas is
  already S x S, so CLIP's resize and centre crop leave it as it is).
- Score: cosine similarity of the L2-normalised image and text embeddings
  (get_image_features / get_text_features), text ids from the model folder's CLIPTokenizer.

Run from the repository root (torch==2.13.0+cpu, transformers, pillow, numpy):
    python3 Tests/CLITests/Fixtures/redcircle/make_reference.py
"""
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from transformers import CLIPModel, CLIPTokenizer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
MODEL = ROOT / "Tests/CLIPTests/Fixtures/models/tiny-quickgelu"
IMAGES = ROOT / "Tests/CLIPTests/Fixtures/images"

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
PAD_COLOR = (123, 117, 104)
RED = (255, 0, 0)
TEMPLATE = "This is the {part} of a bird"
PARTS = ["beak", "eye", "tail"]

# name, photo, grid N, box (x, y, w, h) in original pixels or None, crop to the box
CASES = [
    ("bird-pad", "bird.jpg", 6, None, False),
    ("cow-box-crop", "cow.jpg", 5, (10, 30, 80, 100), True),
]


def round_half_up(x):
    return int(math.floor(x + 0.5))


def fit_pad(photo, source, size):
    """The S x S canvas of the source rectangle (x, y, w, h) of `photo`, letterboxed; with the
    resized size and offset."""
    x, y, w, h = source
    region = photo.crop((x, y, x + w, y + h)) if (x, y, w, h) != (0, 0) + photo.size else photo
    short, long = min(w, h), max(w, h)
    new_short = max(1, round_half_up(size * short / long))
    rw, rh = (size, new_short) if w >= h else (new_short, size)
    resized = region if (rw, rh) == (w, h) else region.resize((rw, rh), Image.BICUBIC)
    ox, oy = (size - rw) // 2, (size - rh) // 2
    canvas = Image.new("RGB", (size, size), PAD_COLOR)
    canvas.paste(resized, (ox, oy))
    return np.array(canvas, dtype=np.int64), (rw, rh), (ox, oy)


def draw_circle(canvas, cx, cy, radius, thickness, colour):
    """The anti-aliased ring, by brute force over every sample of every pixel."""
    n = canvas.shape[0]
    offsets = (np.arange(8) + 0.5) / 8
    ys, xs = np.mgrid[0:n, 0:n]
    sx = xs[:, :, None, None] + offsets[None, None, None, :]
    sy = ys[:, :, None, None] + offsets[None, None, :, None]
    d2 = (sx - cx) ** 2 + (sy - cy) ** 2
    rin = max(0.0, radius - thickness / 2)
    rout = radius + thickness / 2
    k = ((d2 >= rin * rin) & (d2 <= rout * rout)).sum(axis=(2, 3))
    out = canvas.copy()
    for c in range(3):
        out[:, :, c] = (canvas[:, :, c] * (64 - k) + colour[c] * k + 32) >> 6
    return out


def normalise(canvas):
    pixels = torch.from_numpy(canvas.astype(np.uint8)).permute(2, 0, 1).to(torch.float32).div(255)
    mean = torch.as_tensor(CLIP_MEAN, dtype=torch.float32).view(-1, 1, 1)
    std = torch.as_tensor(CLIP_STD, dtype=torch.float32).view(-1, 1, 1)
    return pixels.sub(mean).div(std)


def features(output):
    """get_*_features returns a tensor in older transformers, an output with pooler_output in 5.x."""
    return output if isinstance(output, torch.Tensor) else output.pooler_output


def run_case(model, tokenizer, size, name, photo_name, grid, box, crop_to_box):
    photo = Image.open(IMAGES / photo_name).convert("RGB")
    width, height = photo.size
    region = box if box is not None else (0, 0, width, height)
    source = region if crop_to_box else (0, 0, width, height)
    base, (rw, rh), (ox, oy) = fit_pad(photo, source, size)
    radius = max(1, round_half_up(0.06 * size))
    thickness = max(1, round_half_up(0.01 * size))

    prompts = [TEMPLATE.format(part=p) for p in PARTS]
    with torch.inference_mode():
        ids = [torch.tensor([tokenizer(p)["input_ids"]]) for p in prompts]
        text = torch.cat([features(model.get_text_features(input_ids=i)) for i in ids])
        text = text / text.norm(dim=-1, keepdim=True)

    candidates = []
    marked = []
    for j in range(grid):
        for i in range(grid):
            px = region[0] + (i + 0.5) * region[2] / grid
            py = region[1] + (j + 0.5) * region[3] / grid
            cx = (px - source[0]) * rw / source[2] + ox
            cy = (py - source[1]) * rh / source[3] + oy
            canvas = draw_circle(base, cx, cy, radius, thickness, RED)
            marked.append(canvas)
            candidates.append(
                {
                    "x": px,
                    "y": py,
                    "canvas_sha256": hashlib.sha256(canvas.astype(np.uint8).tobytes()).hexdigest(),
                }
            )
    with torch.inference_mode():
        pixels = torch.stack([normalise(c) for c in marked])
        image = features(model.get_image_features(pixel_values=pixels))
        image = image / image.norm(dim=-1, keepdim=True)
        scores = (image @ text.T).to(torch.float64)
    for c, row in zip(candidates, scores.tolist()):
        c["scores"] = row
    answers = []
    for k, part in enumerate(PARTS):
        best = max(range(len(candidates)), key=lambda n: candidates[n]["scores"][k])
        ordered = sorted((c["scores"][k] for c in candidates), reverse=True)
        answers.append(
            {
                "name": part,
                "x": candidates[best]["x"],
                "y": candidates[best]["y"],
                "score": candidates[best]["scores"][k],
                "margin_to_second": ordered[0] - ordered[1],
            }
        )
    return {
        "name": name,
        "photo": photo_name,
        "grid": grid,
        "box": list(box) if box is not None else None,
        "crop_to_box": crop_to_box,
        "canvas": {"size": size, "resized": [rw, rh], "offset": [ox, oy], "radius": radius, "thickness": thickness},
        "candidates": candidates,
        "answers": answers,
    }


def main():
    torch.manual_seed(0)
    model = CLIPModel.from_pretrained(str(MODEL), torch_dtype=torch.float32).eval()
    tokenizer = CLIPTokenizer.from_pretrained(str(MODEL))
    size = model.config.vision_config.image_size
    cases = [run_case(model, tokenizer, size, *case) for case in CASES]
    out = {
        "made_by": "Tests/CLITests/Fixtures/redcircle/make_reference.py",
        "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
        "pillow": Image.__version__,
        "model": "Tests/CLIPTests/Fixtures/models/tiny-quickgelu",
        "template": TEMPLATE,
        "parts": PARTS,
        "marker": {"shape": "circle", "color": list(RED), "radius": 0.06, "thickness": 0.01, "units": "fraction"},
        "fit": "pad",
        "cases": cases,
    }
    (HERE / "reference.json").write_text(json.dumps(out, indent=1) + "\n")
    for case in cases:
        margins = ", ".join(f"{a['name']} {a['margin_to_second']:.2e}" for a in case["answers"])
        print(f"{case['name']}: {len(case['candidates'])} candidates, best-vs-second margins: {margins}")


if __name__ == "__main__":
    main()
