#!/usr/bin/env python3
"""Independent brute-force reference for the anti-aliased markers of Sources/Imaging/MarkerRenderer.swift.

Definition (from the issue "Visual-prompt grid search" and the renderer's doc comment):
  coverage k of pixel (i, j) = number of the 64 sample points (i + (m + 0.5)/8, j + (l + 0.5)/8),
  m, l in 0..7, that lie inside the shape; out = (base * (64 - k) + colour * k + 32) >> 6 per channel.
This script evaluates every sample of every pixel (no bounding box, no fast path), so it checks the
Swift fast path (bounding box + signed-distance classification of whole pixels) independently.
Shapes, relative to the candidate (dx, dy) = sample - centre, r = radius, t = thickness (pixels):
  circle: max(0, r - t/2)^2 <= dx^2 + dy^2 <= (r + t/2)^2
  square: r - t/2 <= max(|dx|, |dy|) <= r + t/2
  cross:  (|dx| <= r and |dy| <= t/2) or (|dy| <= r and |dx| <= t/2)
  arrow:  tip at the centre, coming from the upper left along u = (1, 1)/sqrt(2); length 2r;
          shaft = points within t/2 of the segment from -2r u to -0.35r u; head = triangle with
          vertices 0, -0.7r u -+ 0.45r n, n = (-1, 1)/sqrt(2)
Base canvas: pixel (x, y) = ((7x + 3y) % 256, (5y + 11) % 256, (x * y) % 256) for the 64x64 cases,
flat (128, 128, 128) for the 336x336 case.

Run from the repository root:  python3 Tests/ImagingTests/Fixtures/markers/make_marker_golden.py
It writes <case>.png next to itself and prints the FNV-1a 64-bit checksums of the RGB bytes
(row-major, R G B interleaved), which MarkerRendererTests.swift hard-codes.
"""
import math, os
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))

# name, canvas size, base, shape, colour, radius px, thickness px, centre (x, y)
CASES = [
    ("circle64", 64, "pattern", "circle", (255, 0, 0), 20.0, 3.0, (31.3, 30.7)),
    ("square64", 64, "pattern", "square", (0, 200, 0), 14.0, 3.0, (30.25, 33.6)),
    ("cross64", 64, "pattern", "cross", (0, 0, 255), 12.0, 3.0, (32.4, 31.55)),
    ("arrow64", 64, "pattern", "arrow", (255, 255, 0), 20.0, 3.0, (40.2, 41.7)),
    ("circle64_clipped", 64, "pattern", "circle", (255, 0, 255), 9.5, 2.5, (5.5, 60.2)),
    ("circle336_paper", 336, "grey", "circle", (255, 0, 0), 20.0, 3.0, (168.5, 168.5)),
]


def base_image(n, kind):
    if kind == "grey":
        return np.full((n, n, 3), 128, dtype=np.int64)
    y, x = np.mgrid[0:n, 0:n]
    return np.stack([(7 * x + 3 * y) % 256, (5 * y + 11) % 256, (x * y) % 256], axis=-1).astype(np.int64)


def inside(shape, dx, dy, r, t):
    ht = t / 2
    if shape == "circle":
        rin = max(0.0, r - t / 2)
        rout = r + t / 2
        d2 = dx * dx + dy * dy
        return (d2 >= rin * rin) & (d2 <= rout * rout)
    if shape == "square":
        m = np.maximum(np.abs(dx), np.abs(dy))
        return (m <= r + t / 2) & (m >= r - t / 2)
    if shape == "cross":
        a, b = np.abs(dx), np.abs(dy)
        return ((a <= r) & (b <= ht)) | ((b <= r) & (a <= ht))
    if shape == "arrow":
        u = 1.0 / math.sqrt(2.0)
        L, hl, hw = 2 * r, 0.7 * r, 0.45 * r
        tx, ty = -L * u, -L * u
        ex, ey = -0.5 * hl * u, -0.5 * hl * u
        ax, ay = 0.0, 0.0
        bx, by = -hl * u - hw * -u, -hl * u - hw * u
        qx, qy = -hl * u + hw * -u, -hl * u + hw * u
        area = (bx - ax) * (qy - ay) - (by - ay) * (qx - ax)
        orient = 1.0 if area >= 0 else -1.0
        sx, sy = ex - tx, ey - ty
        s = ((dx - tx) * sx + (dy - ty) * sy) / (sx * sx + sy * sy)
        c = np.minimum(np.maximum(s, 0.0), 1.0)
        ddx, ddy = dx - (tx + c * sx), dy - (ty + c * sy)
        shaft = ddx * ddx + ddy * ddy <= ht * ht

        def edge(px, py, qx_, qy_):
            return orient * ((qx_ - px) * (dy - py) - (qy_ - py) * (dx - px))

        tri = (edge(ax, ay, bx, by) >= 0) & (edge(bx, by, qx, qy) >= 0) & (edge(qx, qy, ax, ay) >= 0)
        return shaft | tri
    raise ValueError(shape)


def render(n, base_kind, shape, colour, r, t, centre):
    cx, cy = centre
    base = base_image(n, base_kind)
    k = np.zeros((n, n), dtype=np.int64)
    j, i = np.mgrid[0:n, 0:n].astype(np.float64)
    for l in range(8):
        for m in range(8):
            sx = i + (m + 0.5) / 8
            sy = j + (l + 0.5) / 8
            k += inside(shape, sx - cx, sy - cy, r, t).astype(np.int64)
    col = np.array(colour, dtype=np.int64)
    out = (base * (64 - k[..., None]) + col * k[..., None] + 32) >> 6
    return out.astype(np.uint8)


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


if __name__ == "__main__":
    for name, n, base_kind, shape, colour, r, t, centre in CASES:
        img = render(n, base_kind, shape, colour, r, t, centre)
        Image.fromarray(img, "RGB").save(os.path.join(HERE, name + ".png"))
        print(f'("{name}", 0x{fnv1a64(img.tobytes()):016x}),')
