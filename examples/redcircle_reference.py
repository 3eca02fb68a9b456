#!/usr/bin/env python3
"""The red-circle method in plain PyTorch + Pillow + numpy: check `keypoints localize` yourself.

This is the method of "What does CLIP know about a red circle?" (ICCV 2023) as a researcher would
write it from the paper and keypoints' documented definitions, with no keypoints code: for every
candidate of a one-stage grid it fits the photo to the model's square input, draws the
anti-aliased red circle at the candidate, normalises as OpenAI's CLIP does, encodes with
transformers' CLIPModel and scores the cosine similarity with each prompt's text embedding; the
answer is the best candidate. Run it on your own checkpoint and photo, and give it the `--scores`
file of the same `keypoints localize` run to see every score side by side:

    pip install torch==2.13.0+cpu transformers pillow numpy
    keypoints localize bird.jpg --model DIR --keypoint beak --keypoint eye \\
        --template "This is the {part} of a bird" --grid dense30 --scores scores.json
    python3 examples/redcircle_reference.py bird.jpg --model DIR --keypoint beak --keypoint eye \\
        --template "This is the {part} of a bird" --grid 30 --compare scores.json

It prints each keypoint's answer (x, y in original pixels, score) and, with --compare, the largest
score difference and whether the answers agree: the scores file's entry for the photo (a file of
several photos is searched by path), each keypoint by name, and of a multi-stage grid's samples
only the first stage's (`--grid fast` is compared with `--grid 10`). `--box x,y,w,h` restricts the
grid to a box, `--crop-to-box` also crops the photo to it first (the paper's SPair-71k protocol).
The photo is read as stored (Image.open), as `localize` reads it without `--exif-transpose`.
Tests/CLITests/Fixtures/redcircle/make_reference.py runs the same functions on a tiny random model
and RedCircleReferenceTests checks `keypoints localize` against what it wrote; it also runs
test_compare.py beside it (--compare on made-up scores) where python3 has torch.

Definitions used (README, grids/README.md, Sources/Imaging/*.swift doc comments):
- Pixel coordinates are continuous, origin at the top-left corner, pixel (i, j) centred at
  (i + 0.5, j + 0.5).
- Grid: `{"grid": N}` (dense30 is N = 30) is the N x N cell centres of the region (the photo, or
  the box), row-major (y, then x): x = region.x + (i + 0.5) * region.w / N.
- Fit "pad": the source (photo, or the pixels the box covers under --crop-to-box) is resized with
  Pillow's bicubic so that its longer side is S (shorter side round-half-up(S * short / long), at
  least 1), pasted at ((S - w') // 2, (S - h') // 2) on an S x S canvas of RGB (123, 117, 104).
  A point maps to the canvas as (p - source.origin) * resized / source.size + offset.
- Marker "circle", radius 0.06 and thickness 0.01 in fractions of S, rounded to whole pixels
  (each at least 1). Pixel (i, j) has 64 sample points (i + (m + 0.5) / 8, j + (l + 0.5) / 8);
  k of them lie in the ring max(0, r - t/2)^2 <= d^2 <= (r + t/2)^2 around the canvas point;
  out = (base * (64 - k) + colour * k + 32) >> 6 per channel.
- Model input: ToTensor then Normalize with the model's preprocessor_config.json image_mean and
  image_std (OpenAI's when absent), float32. The canvas is already S x S, so CLIP's resize and
  centre crop leave it as it is.
- Score: cosine similarity of the L2-normalised image and text embeddings
  (get_image_features / get_text_features), text ids from the model folder's CLIPTokenizer.
"""
import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
PAD_COLOR = (123, 117, 104)
RED = (255, 0, 0)
MARKER_RADIUS = 0.06
MARKER_THICKNESS = 0.01


def round_half_up(x):
    return int(math.floor(x + 0.5))


def fit_pad(photo, source, size):
    """The S x S canvas (int64 H x W x 3) of the source rectangle (x, y, w, h) of `photo`,
    letterboxed, with the resized size and the offset."""
    x, y, w, h = source
    region = photo if (x, y, w, h) == (0, 0) + photo.size else photo.crop((x, y, x + w, y + h))
    short, long = min(w, h), max(w, h)
    new_short = max(1, round_half_up(size * short / long))
    rw, rh = (size, new_short) if w >= h else (new_short, size)
    resized = region if (rw, rh) == (w, h) else region.resize((rw, rh), Image.BICUBIC)
    ox, oy = (size - rw) // 2, (size - rh) // 2
    canvas = Image.new("RGB", (size, size), PAD_COLOR)
    canvas.paste(resized, (ox, oy))
    return np.array(canvas, dtype=np.int64), (rw, rh), (ox, oy)


def draw_circle(canvas, cx, cy, radius, thickness, colour=RED):
    """The anti-aliased ring, by brute force over the 64 samples of every pixel near it."""
    n = canvas.shape[0]
    out = canvas.copy()
    reach = radius + thickness / 2 + 1
    x0, x1 = max(0, int(math.floor(cx - reach))), min(n, int(math.ceil(cx + reach)) + 1)
    y0, y1 = max(0, int(math.floor(cy - reach))), min(n, int(math.ceil(cy + reach)) + 1)
    if x0 >= x1 or y0 >= y1:
        return out
    offsets = (np.arange(8) + 0.5) / 8
    ys, xs = np.mgrid[y0:y1, x0:x1]
    sx = xs[:, :, None, None] + offsets[None, None, None, :]
    sy = ys[:, :, None, None] + offsets[None, None, :, None]
    d2 = (sx - cx) ** 2 + (sy - cy) ** 2
    rin = max(0.0, radius - thickness / 2)
    rout = radius + thickness / 2
    k = ((d2 >= rin * rin) & (d2 <= rout * rout)).sum(axis=(2, 3))
    for c in range(3):
        base = canvas[y0:y1, x0:x1, c]
        out[y0:y1, x0:x1, c] = (base * (64 - k) + colour[c] * k + 32) >> 6
    return out


def normalization(model_dir):
    """image_mean and image_std of the model's preprocessor_config.json, OpenAI's when absent."""
    path = Path(model_dir) / "preprocessor_config.json"
    if not path.exists():
        return OPENAI_MEAN, OPENAI_STD
    config = json.loads(path.read_text())
    return tuple(config.get("image_mean", OPENAI_MEAN)), tuple(config.get("image_std", OPENAI_STD))


def normalise(canvas, mean, std):
    pixels = torch.from_numpy(canvas.astype(np.uint8)).permute(2, 0, 1).to(torch.float32).div(255)
    mean = torch.as_tensor(mean, dtype=torch.float32).view(-1, 1, 1)
    std = torch.as_tensor(std, dtype=torch.float32).view(-1, 1, 1)
    return pixels.sub(mean).div(std)


def features(output):
    """get_*_features returns a tensor in older transformers, an output with pooler_output in 5.x."""
    return output if isinstance(output, torch.Tensor) else output.pooler_output


def load(model_dir):
    from transformers import CLIPModel, CLIPTokenizer

    model = CLIPModel.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    return model, CLIPTokenizer.from_pretrained(str(model_dir))


def localize(model, tokenizer, model_dir, photo_path, prompts, grid, box=None, crop_to_box=False, batch=32):
    """Every candidate of the grid with its canvas digest and its score per prompt, the canvas
    geometry, and per prompt the best candidate's index."""
    photo = Image.open(photo_path).convert("RGB")
    width, height = photo.size
    region = tuple(box) if box is not None else (0, 0, width, height)
    source = region if crop_to_box else (0, 0, width, height)
    size = model.config.vision_config.image_size
    base, (rw, rh), (ox, oy) = fit_pad(photo, source, size)
    radius = max(1, round_half_up(MARKER_RADIUS * size))
    thickness = max(1, round_half_up(MARKER_THICKNESS * size))
    mean, std = normalization(model_dir)

    with torch.inference_mode():
        text = torch.cat(
            [features(model.get_text_features(input_ids=torch.tensor([tokenizer(p)["input_ids"]]))) for p in prompts]
        )
        text = text / text.norm(dim=-1, keepdim=True)

    candidates = []
    for j in range(grid):
        for i in range(grid):
            px = region[0] + (i + 0.5) * region[2] / grid
            py = region[1] + (j + 0.5) * region[3] / grid
            cx = (px - source[0]) * rw / source[2] + ox
            cy = (py - source[1]) * rh / source[3] + oy
            candidates.append({"x": px, "y": py, "canvas_x": cx, "canvas_y": cy})
    for start in range(0, len(candidates), batch):
        chunk = candidates[start : start + batch]
        canvases = [draw_circle(base, c["canvas_x"], c["canvas_y"], radius, thickness) for c in chunk]
        with torch.inference_mode():
            pixels = torch.stack([normalise(c, mean, std) for c in canvases])
            image = features(model.get_image_features(pixel_values=pixels))
            image = image / image.norm(dim=-1, keepdim=True)
            scores = (image @ text.T).to(torch.float64).tolist()
        for c, canvas, row in zip(chunk, canvases, scores):
            c["canvas_sha256"] = hashlib.sha256(canvas.astype(np.uint8).tobytes()).hexdigest()
            c["scores"] = row
        print(f"\r{min(start + batch, len(candidates))}/{len(candidates)} candidates", end="", file=sys.stderr)
    print(file=sys.stderr)
    best = [max(range(len(candidates)), key=lambda n: candidates[n]["scores"][k]) for k in range(len(prompts))]
    geometry = {"size": size, "resized": [rw, rh], "offset": [ox, oy], "radius": radius, "thickness": thickness}
    return candidates, geometry, best


def compare(document, photo, names, candidates, best, source="scores"):
    """The largest score difference and whether the answers agree between this script's
    `candidates` and `best` (per keypoint of `names`) and a `keypoints localize --scores` document:
    its entry for `photo` (by path; a file of one photo is taken whatever path it records), each
    keypoint found by name, and of its samples those of stage 0, the grid's (a multi-stage grid's
    first stage, e.g. fast's 10 x 10). Exits naming `source` when they cannot be put side by side."""
    images = document["images"]
    entry = next((im for im in images if Path(im["path"]).resolve() == Path(photo).resolve()), None)
    if entry is None:
        if len(images) != 1:
            paths = ", ".join(im["path"] for im in images)
            sys.exit(f"{source}: no entry for {photo} among its {len(images)} images ({paths})")
        entry = images[0]
    by_name = {k["name"]: k for k in entry["keypoints"]}
    worst, agree = 0.0, True
    for k, name in enumerate(names):
        keypoint = by_name.get(name.strip())
        if keypoint is None:
            sys.exit(f"{source}: {entry['path']} has no keypoint {name!r} (it has {', '.join(by_name)})")
        theirs = [s for s in keypoint["samples"] if s["stage"] == 0]
        if len(theirs) != len(candidates):
            sys.exit(f"{source}: {name}: {len(theirs)} stage-0 samples, expected {len(candidates)} (same --grid?)")
        for s, c in zip(theirs, candidates):
            if abs(s["x"] - c["x"]) > 1e-6 or abs(s["y"] - c["y"]) > 1e-6:
                sys.exit(f"{source}: {name}: sample at ({s['x']}, {s['y']}), expected ({c['x']}, {c['y']})")
            worst = max(worst, abs(s["score"] - c["scores"][k]))
        mine = max(range(len(theirs)), key=lambda n: theirs[n]["score"])
        agree = agree and mine == best[k]
    return worst, agree


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photo")
    parser.add_argument("--model", required=True, help="a Hugging Face CLIP directory")
    parser.add_argument("--keypoint", action="append", required=True)
    parser.add_argument("--template", default="{part}", help='e.g. "This is the {part} of a bird"')
    parser.add_argument("--grid", type=int, default=30, help="N of the N x N grid (dense30: 30)")
    parser.add_argument("--box", help="x,y,w,h in original pixels (integers)")
    parser.add_argument("--crop-to-box", action="store_true")
    parser.add_argument("--compare", help="the --scores file of the same keypoints localize run")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    box = [int(v) for v in args.box.split(",")] if args.box else None
    prompts = [args.template.replace("{part}", k) for k in args.keypoint]
    model, tokenizer = load(args.model)
    candidates, _, best = localize(model, tokenizer, args.model, args.photo, prompts, args.grid, box, args.crop_to_box)
    for k, name in enumerate(args.keypoint):
        c = candidates[best[k]]
        print(f"{name}\t{c['x']:.2f}\t{c['y']:.2f}\t{c['scores'][k]:.6f}")
    if args.compare:
        document = json.loads(Path(args.compare).read_text())
        worst, agree = compare(document, args.photo, args.keypoint, candidates, best, source=args.compare)
        print(f"largest score difference {worst:.3g}; answers {'agree' if agree else 'DIFFER'}")


if __name__ == "__main__":
    main()
