#!/usr/bin/env python3
"""Independent reference for PCKBootstrap (Sources/Evaluation/Report/PCKBootstrap.swift).

Prints the intervals that PCKBootstrapTests.matchesTheIndependentReference expects, for the
synthetic data set defined in `dataset()` (the test builds the same records), and writes them
all, the category x keypoint cells included (of one run, stratified and not, and of the paired
difference run 1 minus run 0, `report --compare --ci`'s `per_category_keypoint` differences), to
reference.json beside this script (read by PCKBootstrapTests.matchesTheReferenceFile):

    python3 Tests/EvaluationTests/Fixtures/bootstrap/make_reference.py

1. `replica`: the documented draw order (SplitMix64 from the seed, Lemire's unbiased index,
   resample by resample, categories then image ids in UTF-8 byte order; not stratified: all
   images in that order as one stratum), figures computed
   from scratch per resample with Python integers and numpy.percentile (linear): the Swift
   intervals must equal these to rounding.
   A figure of one run that is a binomial count over images (every image holding at most one
   of its keypoints: here every keypoint's figure and every cell; never the mean of categories),
   or exactly 0 or 1 on the data, gets instead the exact binomial (Clopper-Pearson) interval
   over the images holding its keypoints, x its correct keypoints (0 or n at 0 or 1), from
   scipy.stats.beta's quantiles (`clopper_pearson`; the Swift code has its own beta quantile,
   and the closed form at 0 and n); their names are reference.json's "exact_binomial" (the
   same for stratified and not: the data decide).
2. `numpy_rng`: the same cluster bootstrap with numpy's own generator and 200,000 resamples:
   a statistically independent check (the Swift intervals at 1000 resamples should be within
   Monte Carlo error, about half a percentage point, of these).
"""
import numpy as np

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def index_below(self, n):
        product = self.next() * n
        if (product & MASK) < n:
            threshold = ((1 << 64) - n) % n
            while (product & MASK) < threshold:
                product = self.next() * n
        return product >> 64


def dataset(run=0):
    """Images (category, id, [(keypoint, correct)]): categories A (5 images), B (3), C (4);
    image j of category c has 2 + (j % 3) keypoints k0, k1, ..., correct when
    (7 j + 3 k + c + 2 run) % 5 < 2 (c = 0, 1, 2 for A, B, C)."""
    images = []
    for c, (name, n) in enumerate([("A", 5), ("B", 3), ("C", 4)]):
        for j in range(n):
            kps = [(f"k{k}", int((7 * j + 3 * k + c + 2 * run) % 5 < 2)) for k in range(2 + j % 3)]
            images.append((name, f"{name}{j}", kps))
    return images


def figures(images, weights, keypoints, categories, cells):
    """Overall, mean of categories, categories, keypoints, then the (category, keypoint) cells
    (nan where no keypoint)."""
    count = {}
    correct = {}
    for (cat, _, kps), w in zip(images, weights):
        for name, ok in kps:
            for key in ("all", ("c", cat), ("k", name), ("ck", cat, name)):
                count[key] = count.get(key, 0) + w
                correct[key] = correct.get(key, 0) + w * ok

    def ratio(key):
        return correct[key] / count[key] if count.get(key, 0) > 0 else float("nan")

    cats = [ratio(("c", c)) for c in categories]
    defined = [v for v in cats if v == v]
    mean = sum(defined) / len(defined) if defined else float("nan")
    return [ratio("all"), mean] + cats + [ratio(("k", k)) for k in keypoints] + [ratio(("ck",) + c) for c in cells]


def layout(images):
    images = sorted(images, key=lambda im: (im[0].encode(), im[1].encode()))
    categories = sorted({im[0] for im in images}, key=str.encode)
    keypoints = sorted({k for im in images for k, _ in im[2]}, key=str.encode)
    strata = [[i for i, im in enumerate(images) if im[0] == c] for c in categories]
    cells = sorted({(im[0], k) for im in images for k, _ in im[2]}, key=lambda c: (c[0].encode(), c[1].encode()))
    return images, categories, keypoints, strata, cells


def names(categories, keypoints, cells):
    return (["overall", "mean"] + [f"category {c}" for c in categories] + [f"keypoint {k}" for k in keypoints]
            + [f"cell {c} {k}" for c, k in cells])


def interval(values, level):
    values = np.array([v for v in values if v == v])
    tail = (1 - level) / 2
    return np.percentile(values, 100 * tail), np.percentile(values, 100 * (1 - tail))


def photos_holding(images, keypoints, categories, cells):
    """Per figure (as `figures` orders them), the images holding at least one of its keypoints:
    the trials of its exact binomial interval (the mean counts every image with keypoints)."""
    held = {}
    for cat, _, kps in images:
        if not kps:
            continue
        keys = {"all", ("c", cat)} | {("k", k) for k, _ in kps} | {("ck", cat, k) for k, _ in kps}
        for key in keys:
            held[key] = held.get(key, 0) + 1
    return ([held.get("all", 0), held.get("all", 0)] + [held.get(("c", c), 0) for c in categories]
            + [held.get(("k", k), 0) for k in keypoints] + [held.get(("ck",) + c, 0) for c in cells])


def keypoint_counts(images, keypoints, categories, cells):
    """Per figure (as `figures` orders them, the mean as the overall figure), its keypoints and
    its correct ones: (counts, corrects)."""
    count = {}
    correct = {}
    for cat, _, kps in images:
        for name, ok in kps:
            for key in ("all", ("c", cat), ("k", name), ("ck", cat, name)):
                count[key] = count.get(key, 0) + 1
                correct[key] = correct.get(key, 0) + ok
    keys = (["all", "all"] + [("c", c) for c in categories] + [("k", k) for k in keypoints]
            + [("ck",) + c for c in cells])
    return [count.get(k, 0) for k in keys], [correct.get(k, 0) for k in keys]


def clopper_pearson(x, n, level):
    """The exact binomial interval of x successes in n trials, from scipy's beta quantiles (not
    the closed form the Swift code uses)."""
    from scipy.stats import beta
    a = 1 - level
    low = 0.0 if x == 0 else beta.ppf(a / 2, x, n - x + 1)
    high = 1.0 if x == n else beta.ppf(1 - a / 2, x + 1, n - x)
    return low, high


def replica(runs, seed, resamples, level, stratified=True):
    base, categories, keypoints, strata, cells = layout(runs[0])
    if not stratified:
        strata = [list(range(len(base)))]
    ordered = [layout(r)[0] for r in runs]
    rng = SplitMix64(seed)
    draws = []
    for _ in range(resamples):
        w = [0] * len(base)
        for stratum in strata:
            for _ in range(len(stratum)):
                w[stratum[rng.index_below(len(stratum))]] += 1
        f = [figures(imgs, w, keypoints, categories, cells) for imgs in ordered]
        draws.append(f[0] if len(f) == 1 else [b - a for a, b in zip(f[0], f[1])])
    return {n: interval([d[i] for d in draws], level) for i, n in enumerate(names(categories, keypoints, cells))}


def exact_where_binomial(images, intervals, level):
    """`intervals` (one run's) with the exact binomial interval over its images for every figure
    that is a count over images (as many keypoints as images holding them: x = its correct
    ones; not the mean of categories) or exactly 0 or 1 on the data (x = 0 or n), and the names
    of those figures."""
    base, categories, keypoints, _, cells = layout(images)
    point = figures(base, [1] * len(base), keypoints, categories, cells)
    held = photos_holding(base, keypoints, categories, cells)
    count, correct = keypoint_counts(base, keypoints, categories, cells)
    out = dict(intervals)
    exact = []
    for i, n in enumerate(names(categories, keypoints, cells)):
        if held[i] == 0:
            continue
        if n != "mean" and count[i] == held[i]:
            out[n] = clopper_pearson(correct[i], held[i], level)
        elif point[i] in (0, 1):
            out[n] = clopper_pearson(held[i] * point[i], held[i], level)
        else:
            continue
        exact.append(n)
    return out, exact


def numpy_rng(runs, seed, resamples, level):
    base, categories, keypoints, strata, cells = layout(runs[0])
    ordered = [layout(r)[0] for r in runs]
    g = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        w = np.zeros(len(base), dtype=np.int64)
        for stratum in strata:
            np.add.at(w, g.choice(stratum, size=len(stratum), replace=True), 1)
        f = [figures(imgs, w, keypoints, categories, cells) for imgs in ordered]
        draws.append(f[0] if len(f) == 1 else [b - a for a, b in zip(f[0], f[1])])
    return {n: interval([d[i] for d in draws], level) for i, n in enumerate(names(categories, keypoints, cells))}


if __name__ == "__main__":
    rng = SplitMix64(7)
    print("SplitMix64(seed: 7).index(below: 10), 12 draws:", [rng.index_below(10) for _ in range(12)])
    reference = {"level": 0.9, "resamples": 1000, "seed": 42}
    for title, key, runs in [("one run", "one_run", [dataset(0)]),
                             ("run 1 minus run 0", "paired", [dataset(0), dataset(1)])]:
        exact = replica(runs, seed=42, resamples=1000, level=0.9)
        if len(runs) == 1:
            exact, reference["exact_binomial"] = exact_where_binomial(runs[0], exact, level=0.9)
        reference[key] = {name: [float(lo), float(hi)] for name, (lo, hi) in exact.items()}
        for name, (lo, hi) in exact.items():
            print(f"replica {title}: {name}: [{float(lo)!r}, {float(hi)!r}]")
        if len(runs) == 1:
            loose = replica(runs, seed=42, resamples=1000, level=0.9, stratified=False)
            loose, _ = exact_where_binomial(runs[0], loose, level=0.9)
            reference["one_run_not_stratified"] = {name: [float(lo), float(hi)] for name, (lo, hi) in loose.items()}
            for name, (lo, hi) in loose.items():
                print(f"replica {title}, not stratified: {name}: [{float(lo)!r}, {float(hi)!r}]")
        if "--numpy" in __import__("sys").argv:
            ref = numpy_rng(runs, seed=1, resamples=200_000, level=0.9)
            for name, (lo, hi) in ref.items():
                print(f"numpy {title}: {name}: [{lo:.4f}, {hi:.4f}]  replica [{exact[name][0]:.4f}, {exact[name][1]:.4f}]")
    out = __import__("pathlib").Path(__file__).with_name("reference.json")
    out.write_text(__import__("json").dumps(reference, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")
