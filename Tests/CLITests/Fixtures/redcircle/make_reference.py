#!/usr/bin/env python3
"""Writes reference.json: the red-circle method as written out in examples/redcircle_reference.py
(plain PyTorch + Pillow + numpy from the documented definitions, no keypoints code; its docstring
lists them) on the tiny random CLIP and two committed photos. RedCircleReferenceTests runs
`keypoints localize --scores --save-marked` on the same inputs and compares every candidate's
location and score, every answer, and each answer's marked canvas (byte for byte).

Run from the repository root (torch==2.13.0+cpu, transformers, pillow, numpy):
    python3 Tests/CLITests/Fixtures/redcircle/make_reference.py
"""
import importlib.util
import json
from pathlib import Path

import torch
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
MODEL = ROOT / "Tests/CLIPTests/Fixtures/models/tiny-quickgelu"
IMAGES = ROOT / "Tests/CLIPTests/Fixtures/images"
TEMPLATE = "This is the {part} of a bird"
PARTS = ["beak", "eye", "tail"]

# name, photo, grid N, box (x, y, w, h) in original pixels or None, crop to the box
CASES = [
    ("bird-pad", "bird.jpg", 6, None, False),
    ("cow-box-crop", "cow.jpg", 5, (10, 30, 80, 100), True),
]


def load_method():
    spec = importlib.util.spec_from_file_location("redcircle_reference", ROOT / "examples/redcircle_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    method = load_method()
    torch.set_num_threads(2)
    model, tokenizer = method.load(MODEL)
    prompts = [TEMPLATE.format(part=p) for p in PARTS]
    cases = []
    for name, photo, grid, box, crop_to_box in CASES:
        candidates, geometry, best = method.localize(
            model, tokenizer, MODEL, IMAGES / photo, prompts, grid, box, crop_to_box)
        answers = []
        for k, part in enumerate(PARTS):
            ordered = sorted((c["scores"][k] for c in candidates), reverse=True)
            b = candidates[best[k]]
            answers.append(
                {"name": part, "x": b["x"], "y": b["y"], "score": b["scores"][k],
                 "margin_to_second": ordered[0] - ordered[1]})
        cases.append(
            {
                "name": name, "photo": photo, "grid": grid, "box": list(box) if box else None,
                "crop_to_box": crop_to_box, "canvas": geometry,
                "candidates": [
                    {"x": c["x"], "y": c["y"], "canvas_sha256": c["canvas_sha256"], "scores": c["scores"]}
                    for c in candidates
                ],
                "answers": answers,
            }
        )
        margins = ", ".join(f"{a['name']} {a['margin_to_second']:.2e}" for a in answers)
        print(f"{name}: {len(candidates)} candidates, best-vs-second margins: {margins}")
    out = {
        "made_by": "Tests/CLITests/Fixtures/redcircle/make_reference.py (examples/redcircle_reference.py)",
        "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
        "pillow": Image.__version__,
        "model": "Tests/CLIPTests/Fixtures/models/tiny-quickgelu",
        "template": TEMPLATE,
        "parts": PARTS,
        "marker": {"shape": "circle", "color": list(method.RED), "radius": method.MARKER_RADIUS,
                   "thickness": method.MARKER_THICKNESS, "units": "fraction"},
        "fit": "pad",
        "cases": cases,
    }
    (HERE / "reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
