#!/usr/bin/env python3
"""Golden fixtures for the Imaging codec, resize and CLIP-preprocessing tests.

Writes, next to this script:
  codecs/      tiny JPEG/PNG files of every colour type, bad files, the pixels Pillow decodes
               from them (raw .rgb/.alpha bytes) and codecs/manifest.json;
  preprocess/  small source images (crops of CUB-200-2011 photos), the 8-bit canvas of OpenAI
               CLIP's `_transform(n_px)` for each (PNG), Pillow bicubic/nearest resizes
               (preprocess/resize/) and preprocess/manifest.json.

Only Pillow and numpy are used. The torchvision steps of CLIP's transform are re-stated below
from torchvision's source (torchvision/transforms/functional.py: `_compute_resized_output_size`
and `center_crop`), so torchvision is not needed.

Exact command (from the package root, Pillow 13.0.0, numpy, Python 3.11):
    python3 Tests/ImagingTests/Fixtures/make_preprocess_golden.py \
        --data /work/shared/data

The photos come from the shared sample data (CUB-200-2011); see preprocess/README.md.
Re-running rewrites every file; outputs are deterministic for a given Pillow/libjpeg build.
"""

import argparse
import io
import json
import os
import re
import struct
import warnings
import zlib

import numpy as np
import PIL
from PIL import Image

# Pillow warns when converting the palette+tRNS fixture to RGB(A); that conversion is the point.
warnings.filterwarnings("ignore", message="Palette images with Transparency")

HERE = os.path.dirname(os.path.abspath(__file__))
CODECS = os.path.join(HERE, "codecs")
PREPROCESS = os.path.join(HERE, "preprocess")
MANIFEST_VERSION = 1

# CUB-200-2011 photos used as pixel sources (paths relative to --data).
PHOTO_A = "cub/CUB_200_2011/images/002.Laysan_Albatross/Laysan_Albatross_0002_1027.jpg"
PHOTO_B = "cub/CUB_200_2011/images/004.Groove_billed_Ani/Groove_Billed_Ani_0033_1494.jpg"
PHOTO_C = "cub/CUB_200_2011/images/005.Crested_Auklet/Crested_Auklet_0061_794904.jpg"


# MARK: - A minimal PNG writer (any colour type, bit depth, tRNS, Adam7), independent of Pillow


def _chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _pack_rows(samples, bit_depth):
    """samples: (h, w, c) integer array -> list of packed scanlines (no filter byte)."""
    h, w, c = samples.shape
    rows = []
    for y in range(h):
        flat = samples[y].reshape(-1).astype(np.uint32)
        if bit_depth == 16:
            rows.append(flat.astype(">u2").tobytes())
        elif bit_depth == 8:
            rows.append(flat.astype(np.uint8).tobytes())
        else:
            per_byte = 8 // bit_depth
            out = bytearray((len(flat) * bit_depth + 7) // 8)
            for i, v in enumerate(flat):
                out[i // per_byte] |= int(v) << (8 - bit_depth * (i % per_byte + 1))
            rows.append(bytes(out))
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, samples, bit_depth, color_type, palette=None, trns=None, interlace=False):
    """Writes samples (h, w, c) as a PNG with filter 0 on every row."""
    h, w, _ = samples.shape
    raw = bytearray()
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            for row in _pack_rows(sub, bit_depth):
                raw += b"\x00" + row
    else:
        for row in _pack_rows(samples, bit_depth):
            raw += b"\x00" + row
    png = b"\x89PNG\r\n\x1a\n"
    png += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    if palette is not None:
        png += _chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        png += _chunk(b"tRNS", trns)
    png += _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    png += _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)
    return png


# MARK: - Helpers


def photo(data_root, rel, box, size):
    """A crop of a photo, resized (Lanczos, any method would do) to `size`."""
    im = Image.open(os.path.join(data_root, rel)).convert("RGB")
    return im.crop(box).resize(size, Image.LANCZOS)


def write_raw(path, array):
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def clip_canvas(im, n_px):
    """OpenAI CLIP `_transform(n_px)` up to the 8-bit canvas, on a freshly opened image.

    Resize(n_px, BICUBIC): torchvision `_compute_resized_output_size` sets the shorter side to
    n_px and the longer to int(n_px * long / short), returns the image unchanged when the size
    already matches, else calls PIL `img.resize((w, h), BICUBIC)`.
    CenterCrop(n_px): top = int(round((h - n_px) / 2.0)), left likewise (never pads here).
    _convert_image_to_rgb: image.convert("RGB") after the crop.
    """
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = n_px, int(n_px * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) != (w, h):
        im = im.resize((new_w, new_h), Image.BICUBIC)
    top = int(round((new_h - n_px) / 2.0))
    left = int(round((new_w - n_px) / 2.0))
    im = im.crop((left, top, left + n_px, top + n_px))
    return im.convert("RGB"), (new_w, new_h), (left, top)


def pil_fails(data):
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except Exception as e:  # noqa: BLE001 - any failure counts
        # Drop object addresses ("<_io.BytesIO object at 0x...>") so reruns are byte-identical.
        return re.sub(r" at 0x[0-9a-f]+", "", f"{type(e).__name__}: {e}")
    return None


# MARK: - Codec fixtures


def make_codecs(data_root):
    os.makedirs(CODECS, exist_ok=True)
    rng = np.random.default_rng(20240611)
    base = photo(data_root, PHOTO_A, (150, 90, 400, 270), (29, 19))  # odd size: partial MCUs
    rgb8 = np.asarray(base)  # (19, 29, 3)
    grey8 = np.asarray(base.convert("L"))[..., None]
    alpha8 = np.clip(np.linspace(0, 300, 29)[None, :] + rng.integers(-40, 40, (19, 29)), 0, 255).astype(np.uint8)
    alpha8[:4, :6] = 0
    alpha8[-4:, -6:] = 255
    entries = []

    def expect(name, im_for_expected, alpha_expected, model, bit_depth, kind, note=""):
        rgb = np.asarray(im_for_expected)
        stem = os.path.splitext(name)[0]
        write_raw(os.path.join(CODECS, "expected", stem + ".rgb"), rgb)
        alpha_file = None
        if alpha_expected is not None:
            alpha_file = "expected/" + stem + ".alpha"
            write_raw(os.path.join(CODECS, alpha_file), alpha_expected)
        entries.append({
            "file": name, "width": rgb.shape[1], "height": rgb.shape[0], "colorModel": model,
            "bitDepth": bit_depth, "expectedRGB": "expected/" + stem + ".rgb", "expectedAlpha": alpha_file,
            "kind": kind, "note": note,
        })

    os.makedirs(os.path.join(CODECS, "expected"), exist_ok=True)

    # JPEGs written by Pillow (libjpeg-turbo), decoded by Pillow for the expected pixels.
    jpegs = [
        ("baseline_420.jpg", base, dict(quality=90, subsampling=2), "rgb"),
        ("baseline_422.jpg", base, dict(quality=90, subsampling=1), "rgb"),
        ("baseline_444.jpg", base, dict(quality=90, subsampling=0), "rgb"),
        ("progressive.jpg", base, dict(quality=85, progressive=True), "rgb"),
        ("gray.jpg", base.convert("L"), dict(quality=90), "gray"),
        ("cmyk.jpg", base.convert("CMYK"), dict(quality=95), "cmyk"),
    ]
    for name, im, opts, model in jpegs:
        path = os.path.join(CODECS, name)
        im.save(path, "JPEG", **opts)
        decoded = Image.open(path)
        decoded.load()
        expect(name, decoded.convert("RGB"), None, model, 8, "jpeg",
               f"Pillow save {opts}; expected = Image.open(...).convert('RGB')")
        if model == "cmyk":
            # Ink values as Pillow holds them (it undoes the Adobe inversion), for the CMYK path.
            write_raw(os.path.join(CODECS, "expected", "cmyk.cmyk"), np.asarray(decoded))
            entries[-1]["expectedCMYK"] = "expected/cmyk.cmyk"

    # PNGs of every colour type / bit depth, written by the minimal writer above.
    def png(name, samples, bd, ct, model, palette=None, trns=None, interlace=False, expected=None):
        write_png(os.path.join(CODECS, name), samples, bd, ct, palette, trns, interlace)
        im = Image.open(os.path.join(CODECS, name))
        im.load()
        rgb, alpha = expected(im) if expected else (im.convert("RGB"), None)
        expect(name, rgb, alpha, model, bd, "png", f"Pillow mode {im.mode}")

    g = grey8[..., 0].astype(np.uint16)
    png("gray1.png", (grey8 >= 128).astype(np.uint8), 1, 0, "bilevel")
    png("gray2.png", grey8 >> 6, 2, 0, "gray")
    png("gray4.png", grey8 >> 4, 4, 0, "gray")
    png("gray8.png", grey8, 8, 0, "gray")
    grey16 = (g * 256 + rng.integers(0, 256, g.shape)).astype(np.uint16)[..., None]
    # Pillow opens 16-bit grey as "I;16"; its convert("RGB") clips each sample to 255 (the
    # default expected below), it does not keep the high byte.
    png("gray16.png", grey16, 16, 0, "gray")
    t = int(grey8[5, 7, 0])
    png("gray8_trns.png", grey8, 8, 0, "gray", trns=struct.pack(">H", t),
        expected=lambda im: (im.convert("RGB"), np.asarray(im.convert("RGBA"))[..., 3]))
    png("graya8.png", np.concatenate([grey8, alpha8[..., None]], axis=2), 8, 4, "grayAlpha",
        expected=lambda im: (im.convert("RGB"), np.asarray(im.convert("RGBA"))[..., 3]))
    ga16 = np.concatenate([grey16, (alpha8.astype(np.uint16) * 256 + 7)[..., None]], axis=2)
    png("graya16.png", ga16, 16, 4, "grayAlpha",
        expected=lambda im: (im.convert("RGB"), np.asarray(im.convert("RGBA"))[..., 3]))
    png("rgb8.png", rgb8, 8, 2, "rgb")
    rgb16 = (rgb8.astype(np.uint16) * 256 + rng.integers(0, 256, rgb8.shape)).astype(np.uint16)
    png("rgb16.png", rgb16, 16, 2, "rgb")
    tr = rgb8[3, 4]
    png("rgb8_trns.png", rgb8, 8, 2, "rgb", trns=struct.pack(">HHH", *[int(v) for v in tr]),
        expected=lambda im: (im.convert("RGB"), np.asarray(im.convert("RGBA"))[..., 3]))
    rgba8 = np.concatenate([rgb8, alpha8[..., None]], axis=2)
    png("rgba8.png", rgba8, 8, 6, "rgba",
        expected=lambda im: (im.convert("RGB"), np.asarray(im)[..., 3]))
    rgba16 = np.concatenate([rgb16, (alpha8.astype(np.uint16) * 256 + 3)[..., None]], axis=2)
    png("rgba16.png", rgba16, 16, 6, "rgba",
        expected=lambda im: (im.convert("RGB"), np.asarray(im)[..., 3]))
    quant = base.quantize(colors=16)
    pal = np.array(quant.getpalette()[: 16 * 3]).reshape(16, 3)
    idx = np.asarray(quant)[..., None]
    png("pal1.png", idx & 1, 1, 3, "palette", palette=pal[:2])
    png("pal2.png", idx & 3, 2, 3, "palette", palette=pal[:4])
    png("pal4.png", idx, 4, 3, "palette", palette=pal)
    pal_alpha = bytes([0, 64, 128, 200, 255, 30, 255, 90])  # 8 of 16 entries; the rest opaque
    png("pal8_trns.png", idx, 8, 3, "palette", palette=pal, trns=pal_alpha,
        expected=lambda im: (im.convert("RGB"), np.asarray(im.convert("RGBA"))[..., 3]))
    png("rgb8_interlaced.png", rgb8, 8, 2, "rgb", interlace=True)
    png("gray2_interlaced.png", grey8 >> 6, 2, 0, "gray", interlace=True)

    # Bad files: every one must give an ImageError naming the file (Pillow also fails on each).
    bad = []
    big = photo(data_root, PHOTO_B, (0, 0, 480, 360), (96, 72))
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=90)
    jpg = buf.getvalue()
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=90, progressive=True)
    pjpg = buf.getvalue()
    buf = io.BytesIO()
    big.save(buf, "PNG")
    pngdata = buf.getvalue()
    sof = jpg.index(b"\xff\xc0")
    huge_jpg = bytearray(jpg)
    huge_jpg[sof + 5:sof + 9] = struct.pack(">HH", 40000, 40000)  # SOF0 height, width
    huge_png = bytearray(pngdata[:33])
    huge_png[16:24] = struct.pack(">II", 40000, 40000)
    huge_png[29:33] = struct.pack(">I", zlib.crc32(bytes(huge_png[12:29])) & 0xFFFFFFFF)
    huge_png += pngdata[33:]
    bad_crc = bytearray(pngdata)
    bad_crc[29] ^= 0xFF  # IHDR CRC
    # A JPEG cut inside its scans is damaged (libjpeg fills the rest grey; --allow-damaged-images
    # accepts it); cut inside its header it cannot be decoded at all.
    bad_files = [
        ("truncated.jpg", jpg[: len(jpg) * 6 // 10], "damaged"),
        ("truncated_progressive.jpg", pjpg[: len(pjpg) // 2], "damaged"),
        ("truncated_header.jpg", jpg[:120], "decodeFailed"),
        ("truncated.png", pngdata[: len(pngdata) // 2], "decodeFailed"),
        ("bad_crc.png", bytes(bad_crc), "decodeFailed"),
        ("huge.jpg", bytes(huge_jpg), "tooLarge"),
        ("huge.png", bytes(huge_png), "tooLarge"),
        ("text.jpg", b"This is a text file, not a JPEG image.\n", "unknownFormat"),
        ("empty.png", b"", "unknownFormat"),
    ]
    for name, data, error in bad_files:
        with open(os.path.join(CODECS, name), "wb") as f:
            f.write(data)
        pil = pil_fails(data)
        bad.append({"file": name, "error": error, "pillow": pil or "Pillow decodes it"})

    manifest = {
        "version": MANIFEST_VERSION, "generator": "make_preprocess_golden.py",
        "pillow": PIL.__version__, "images": entries, "bad": bad,
    }
    with open(os.path.join(CODECS, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


# MARK: - Preprocess fixtures


def make_preprocess(data_root):
    os.makedirs(os.path.join(PREPROCESS, "expected"), exist_ok=True)
    os.makedirs(os.path.join(PREPROCESS, "resize"), exist_ok=True)
    rng = np.random.default_rng(7)
    a = lambda box, size: photo(data_root, PHOTO_A, box, size)  # noqa: E731
    b = lambda box, size: photo(data_root, PHOTO_B, box, size)  # noqa: E731
    c = lambda box, size: photo(data_root, PHOTO_C, box, size)  # noqa: E731

    sources = []  # (file name, n_px list)

    def save(name, im, n_list, **opts):
        im.save(os.path.join(PREPROCESS, name), **opts)
        sources.append((name, n_list))

    save("rgb_37x23.png", a((100, 60, 460, 290), (37, 23)), [32, 224])
    save("rgb_41x97.png", c((60, 40, 270, 500), (41, 97)), [32])
    save("rgb_32x45.png", c((40, 80, 300, 440), (32, 45)), [32])  # shorter side = 32: no resize
    save("rgb_301x199.png", b((20, 40, 470, 340), (301, 199)), [32])
    save("rgb_150x333.png", c((10, 0, 320, 500), (150, 333)), [32])
    # A whole CUB photo, as the model sees one: 500x375 JPEG, shrunk to 298x224.
    with open(os.path.join(data_root, PHOTO_B), "rb") as f_in:
        with open(os.path.join(PREPROCESS, "cub_500x375.jpg"), "wb") as f_out:
            f_out.write(f_in.read())
    sources.append(("cub_500x375.jpg", [32, 224]))
    save("gray_120x90.jpg", a((0, 0, 500, 375), (120, 90)).convert("L"), [32], quality=90)
    save("progressive_160x120.jpg", b((0, 0, 500, 375), (160, 120)), [32], quality=88, progressive=True)
    save("cmyk_80x60.jpg", a((50, 20, 450, 320), (80, 60)).convert("CMYK"), [32], quality=92)
    save("bilevel_53x40.png", a((0, 0, 500, 375), (53, 40)).convert("1"), [32])
    pal = b((100, 50, 400, 300), (64, 48)).quantize(colors=32)
    trns = bytes([0, 40, 90, 140, 190, 230] + [255] * 26)
    save("palette_trns_64x48.png", pal, [32], transparency=trns)

    rgba = np.asarray(a((120, 80, 420, 300), (70, 50))).copy()
    yy, xx = np.mgrid[0:50, 0:70]
    alpha = np.clip(255 - 3.2 * np.hypot(xx - 30, yy - 22), 0, 255).astype(np.uint8)
    alpha[:, :8] = 0
    alpha[:6, 50:] = 255
    rgba[alpha == 0] = rng.integers(0, 256, (int((alpha == 0).sum()), 3))  # colour under alpha 0
    save("rgba_70x50.png", Image.fromarray(np.dstack([rgba, alpha]), "RGBA"), [32, 224])
    la = np.dstack([np.asarray(c((0, 100, 334, 400), (47, 39)).convert("L")),
                    np.clip(np.linspace(-60, 320, 47)[None, :].repeat(39, 0), 0, 255).astype(np.uint8)])
    save("la_47x39.png", Image.fromarray(la, "LA"), [32])
    rgb16 = np.asarray(b((60, 60, 300, 260), (45, 31))).astype(np.uint16) * 256
    rgb16 += rng.integers(0, 256, rgb16.shape).astype(np.uint16)
    write_png(os.path.join(PREPROCESS, "rgb16_45x31.png"), rgb16, 16, 2)
    sources.append(("rgb16_45x31.png", [32]))

    # Truecolour + tRNS: Pillow keeps mode "RGB" (the transparent colour only lives in info),
    # so the canvas ignores it.
    trns_rgb = np.asarray(c((50, 50, 290, 330), (33, 27))).copy()
    trns_rgb[:5, :9] = (12, 200, 40)
    write_png(os.path.join(PREPROCESS, "rgb_trns_33x27.png"), trns_rgb, 8, 2, trns=struct.pack(">HHH", 12, 200, 40))
    sources.append(("rgb_trns_33x27.png", [32]))

    cases = []
    for name, n_list in sources:
        im = Image.open(os.path.join(PREPROCESS, name))
        for n in n_list:
            canvas, resized, origin = clip_canvas(Image.open(os.path.join(PREPROCESS, name)), n)
            out = f"expected/{os.path.splitext(name)[0]}_n{n}.png"
            canvas.save(os.path.join(PREPROCESS, out))
            cases.append({"source": name, "pillowMode": im.mode, "nPx": n, "resized": list(resized),
                          "cropOrigin": list(origin), "expected": out})

    # Plain resizes at odd factors (Pillow im.resize): RGB and RGBA bicubic, RGB nearest.
    resizes = []
    src_rgb = c((30, 60, 300, 420), (53, 41))
    src_rgb.save(os.path.join(PREPROCESS, "resize", "src_53x41.png"))
    src_rgba = Image.open(os.path.join(PREPROCESS, "rgba_70x50.png")).crop((5, 3, 34, 26))  # 29x23
    src_rgba.save(os.path.join(PREPROCESS, "resize", "src_rgba_29x23.png"))
    plan = [
        ("src_53x41.png", "bicubic", [(97, 71), (17, 13), (120, 20), (37, 59), (1, 1), (200, 3), (53, 41)]),
        ("src_53x41.png", "nearest", [(97, 71), (17, 13), (40, 90)]),
        ("src_rgba_29x23.png", "bicubic", [(61, 47), (11, 9), (29, 40)]),
    ]
    filters = {"bicubic": Image.BICUBIC, "nearest": Image.NEAREST}
    for src, flt, sizes in plan:
        im = Image.open(os.path.join(PREPROCESS, "resize", src))
        for w, h in sizes:
            out = f"resize/{os.path.splitext(src)[0]}_{flt}_{w}x{h}.png"
            im.resize((w, h), filters[flt]).save(os.path.join(PREPROCESS, out))
            resizes.append({"source": "resize/" + src, "filter": flt, "width": w, "height": h,
                            "pillowMode": im.mode, "expected": out})

    manifest = {
        "version": MANIFEST_VERSION, "generator": "make_preprocess_golden.py", "pillow": PIL.__version__,
        "preprocess": cases, "resize": resizes,
    }
    with open(os.path.join(PREPROCESS, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/work/shared/data", help="shared sample data root")
    args = parser.parse_args()
    make_codecs(args.data)
    make_preprocess(args.data)
    total = 0
    for root, _, files in os.walk(HERE):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"wrote {CODECS} and {PREPROCESS}; Fixtures total {total} bytes")


if __name__ == "__main__":
    main()
