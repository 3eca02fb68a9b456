#!/usr/bin/env python3
"""examples/redcircle_reference.py --compare on made-up scores (no model): the photo's own entry of
a --scores file of several photos, keypoints by name in any order or a subset of them, only the
grid's stage-0 samples, and a clear exit when the photo or a keypoint is not in the file.

Run from anywhere: python3 Tests/CLITests/Fixtures/redcircle/test_compare.py
(RedCircleReferenceTests runs it where python3 has torch, numpy and Pillow.)
"""
import importlib.util
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def load_method():
    spec = importlib.util.spec_from_file_location("redcircle_reference", ROOT / "examples/redcircle_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


method = load_method()

# This script's view of a 2-candidate grid for keypoints beak and eye: candidate 1 is best for
# beak, candidate 0 for eye.
CANDIDATES = [{"x": 10.0, "y": 5.0, "scores": [0.1, 0.4]}, {"x": 30.0, "y": 5.0, "scores": [0.3, 0.2]}]
BEST = [1, 0]


def samples(scores, stage=0, xs=(10.0, 30.0)):
    return [{"x": x, "y": 5.0, "score": s, "stage": stage} for x, s in zip(xs, scores)]


def entry(path, beak, eye):
    # Stage-1 samples (a second stage of the grid) that must be ignored.
    refine = samples([0.9, 0.9], stage=1, xs=(11.0, 29.0))
    return {"path": path, "keypoints": [
        {"name": "beak", "samples": samples(beak) + refine},
        {"name": "eye", "samples": samples(eye) + refine},
    ]}


class CompareTests(unittest.TestCase):
    def test_the_photos_own_entry_of_several(self):
        document = {"images": [entry("a/other.jpg", [0.9, 0.0], [0.0, 0.9]), entry("a/bird.jpg", [0.1, 0.3], [0.4, 0.2])]}
        worst, agree = method.compare(document, "a/bird.jpg", ["beak", "eye"], CANDIDATES, BEST)
        self.assertEqual((worst, agree), (0.0, True))

    def test_keypoints_by_name_in_any_order_or_a_subset(self):
        document = {"images": [entry("bird.jpg", [0.1, 0.3], [0.4, 0.2])]}
        swapped = [{**c, "scores": c["scores"][::-1]} for c in CANDIDATES]
        self.assertEqual(method.compare(document, "bird.jpg", ["eye", "beak"], swapped, BEST[::-1]), (0.0, True))
        only_eye = [{**c, "scores": [c["scores"][1]]} for c in CANDIDATES]
        self.assertEqual(method.compare(document, "bird.jpg", ["eye"], only_eye, [0]), (0.0, True))

    def test_differences_are_reported(self):
        document = {"images": [entry("bird.jpg", [0.1, 0.05], [0.4, 0.2])]}
        worst, agree = method.compare(document, "bird.jpg", ["beak", "eye"], CANDIDATES, BEST)
        self.assertAlmostEqual(worst, 0.25)
        self.assertFalse(agree)

    def test_a_photo_or_keypoint_missing_from_the_file_is_named(self):
        document = {"images": [entry("a.jpg", [0.1, 0.3], [0.4, 0.2]), entry("b.jpg", [0.1, 0.3], [0.4, 0.2])]}
        with self.assertRaises(SystemExit) as e:
            method.compare(document, "c.jpg", ["beak"], CANDIDATES, BEST, source="s.json")
        self.assertIn("s.json: no entry for c.jpg among its 2 images (a.jpg, b.jpg)", str(e.exception))
        with self.assertRaises(SystemExit) as e:
            method.compare(document, "a.jpg", ["tail"], CANDIDATES, BEST, source="s.json")
        self.assertIn("a.jpg has no keypoint 'tail' (it has beak, eye)", str(e.exception))


if __name__ == "__main__":
    unittest.main()
