#!/usr/bin/env python3
"""Reference table of exact binomial (Clopper-Pearson) intervals for ClopperPearsonTests
(Sources/Evaluation/Report/BetaDistribution.swift, PCKBootstrap.exactBinomial).

Writes clopper_pearson.json beside this script:

    python3 Tests/EvaluationTests/Fixtures/bootstrap/make_clopper_pearson.py

For x successes in n trials at a two-sided level, the interval is
[beta.ppf((1 - level) / 2, x, n - x + 1), beta.ppf(1 - (1 - level) / 2, x + 1, n - x)], 0 at x = 0 and
1 at x = n (scipy.stats.beta.ppf: Boost's ibeta_inv, its own iteration). Each case is also
checked against scipy.stats.binomtest(x, n).proportion_ci(level, 'exact') (which brackets the
same root with brentq, to about 1e-12), and the file records the scipy version and this command.

Cases: n from 1 to 10,000; x at 0, 1, 2, about n/2, n - 2, n - 1, n; levels 0.5, 0.9, 0.95, 0.99;
plus the report's measured problem (1 of 45, 0 of 53 at 0.95).
"""
import json
import pathlib
import sys

import scipy
from scipy.stats import beta, binomtest

LEVELS = [0.5, 0.9, 0.95, 0.99]
SIZES = [1, 2, 3, 5, 10, 17, 45, 53, 98, 100, 333, 1000, 2500, 9999, 10000]


def clopper_pearson(x, n, level):
    tail = (1 - level) / 2
    low = 0.0 if x == 0 else float(beta.ppf(tail, x, n - x + 1))
    high = 1.0 if x == n else float(beta.ppf(1 - tail, x + 1, n - x))
    return low, high


def cases():
    for n in SIZES:
        for x in sorted({x for x in (0, 1, 2, n // 2, (n + 1) // 2, n - 2, n - 1, n) if 0 <= x <= n}):
            for level in LEVELS:
                yield x, n, level


def main():
    rows = []
    for x, n, level in cases():
        low, high = clopper_pearson(x, n, level)
        ci = binomtest(x, n).proportion_ci(confidence_level=level, method="exact")
        # binomtest's brentq stops at xtol 1e-12 (absolute): the two agree to that.
        assert abs(ci.low - low) < 1e-11 and abs(ci.high - high) < 1e-11, (x, n, level, low, high, ci)
        rows.append({"x": x, "n": n, "level": level, "low": low, "high": high})
    out = pathlib.Path(__file__).with_name("clopper_pearson.json")
    table = {
        "made_by": "python3 Tests/EvaluationTests/Fixtures/bootstrap/make_clopper_pearson.py",
        "scipy": scipy.__version__,
        "python": sys.version.split()[0],
        "method": "scipy.stats.beta.ppf((1 - level) / 2, x, n - x + 1) (0 at x = 0) and "
        "beta.ppf(1 - (1 - level) / 2, x + 1, n - x) (1 at x = n)",
        "cases": rows,
    }
    # One case a line.
    text = json.dumps({k: v for k, v in table.items() if k != "cases"}, indent=1)[:-2] + ',\n "cases": [\n'
    text += ",\n".join("  " + json.dumps(row) for row in rows) + "\n ]\n}\n"
    assert json.loads(text) == table
    out.write_text(text)
    print(f"wrote {len(rows)} cases to {out}")


if __name__ == "__main__":
    main()
