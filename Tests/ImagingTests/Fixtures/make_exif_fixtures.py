#!/usr/bin/env python3
"""Writes Tests/ImagingTests/Fixtures/exif: tiny photos carrying an EXIF Orientation tag, and what
Pillow's ImageOps.exif_transpose makes of each (the reference for ExifOrientationTests and the
--exif-transpose CLI tests); and photos whose orientation sits elsewhere (XMP, PNG text chunks,
both EXIF and XMP, malformed), with the orientation exif_transpose applies to each (ExifMetadataTests).

Run from the repository root:  python3 Tests/ImagingTests/Fixtures/make_exif_fixtures.py
Needs Pillow (pip install pillow; made with 13.0.0). Deterministic: same Pillow, same bytes.
"""
import json
import struct
import zlib
from pathlib import Path

import PIL
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent / "exif"
BIRD = Path(__file__).resolve().parents[2] / "CLIPTests/Fixtures/images/bird.jpg"
VERSION = 3


def pattern(width, height, mode="RGB"):
    """Every pixel different, so any wrong permutation shows."""
    im = Image.new("RGB", (width, height))
    im.putdata([(40 * x + 10, 60 * y + 5, 255 - 30 * x - 50 * y) for y in range(height) for x in range(width)])
    return im


def tiff(orientation, big_endian=False, value_type=3):
    """A TIFF block with IFD0 holding one Orientation entry (SHORT or LONG), written by hand."""
    e = ">" if big_endian else "<"
    head = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    if value_type == 3:
        value = struct.pack(e + "HH", orientation, 0)
    else:
        value = struct.pack(e + "I", orientation)
    entry = struct.pack(e + "HHI", 0x0112, value_type, 1) + value
    return head + struct.pack(e + "H", 1) + entry + struct.pack(e + "I", 0)


def pillow_exif(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def record(name, **extra):
    """Opens the file as Image.open does, transposes it as exif_transpose does."""
    path = ROOT / name
    with Image.open(path) as im:
        im.load()
        orientation = im.getexif().get(0x0112)
        shown = ImageOps.exif_transpose(im)
    entry = {
        "file": name,
        "orientation": orientation if orientation in range(1, 9) else None,
        "storedWidth": im.width,
        "storedHeight": im.height,
        "width": shown.width,
        "height": shown.height,
        "rgb": shown.convert("RGB").tobytes().hex(),
    }
    if shown.mode == "RGBA":
        entry["alpha"] = shown.getchannel("A").tobytes().hex()
    if shown.mode == "CMYK":
        entry["cmyk"] = shown.tobytes().hex()
    entry.update(extra)
    return entry


def ifd_block(entries, extra=b"", big_endian=False):
    """A TIFF block whose IFD0 (at offset 8) holds `entries` (tag, type, count, 4 value bytes),
    followed by `extra` bytes (out-of-line values start at 8 + 2 + 12 * len(entries) + 4)."""
    e = ">" if big_endian else "<"
    out = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", len(entries))
    for tag, value_type, count, value in entries:
        out += struct.pack(e + "HHI", tag, value_type, count) + value
    return out + struct.pack(e + "I", 0) + extra


def tiff_cases():
    """Orientation entries as written by other software (several entries, several values,
    out-of-line values, other types): what Pillow reads from each, as ExifReader must.
    Not listed, because keypoints deliberately differs: RATIONAL, FLOAT, SBYTE and SSHORT/SLONG
    values equal to 2...8, which Pillow turns by (6.0 == 6) and ExifReader leaves as stored."""
    short = lambda v: struct.pack("<HH", v, 0)
    after1 = 8 + 2 + 12 + 4  # where an out-of-line value of a one-entry IFD starts
    return {
        "short-count-2": ([(0x0112, 3, 2, struct.pack("<HH", 6, 3))], b""),
        "short-count-3-out-of-line": ([(0x0112, 3, 3, struct.pack("<I", after1))], struct.pack("<HHH", 8, 3, 1)),
        "long-count-2-out-of-line": ([(0x0112, 4, 2, struct.pack("<I", after1))], struct.pack("<II", 3, 6)),
        "out-of-line-past-the-end": ([(0x0112, 3, 3, struct.pack("<I", 2600))], b""),
        "out-of-line-cut-short": ([(0x0112, 3, 3, struct.pack("<I", after1))], struct.pack("<HH", 6, 3)),
        "count-huge": ([(0x0112, 3, 100000, struct.pack("<I", after1))], struct.pack("<HH", 6, 3)),
        "first-of-two-wins": ([(0x0112, 3, 1, short(6)), (0x0112, 3, 1, short(3))], b""),
        "first-of-two-wins-1": ([(0x0112, 3, 1, short(1)), (0x0112, 3, 1, short(6))], b""),
        "first-invalid-wins": ([(0x0112, 3, 1, short(9)), (0x0112, 3, 1, short(6))], b""),
        "first-ascii-wins": ([(0x0112, 2, 2, b"6\0\0\0"), (0x0112, 3, 1, short(6))], b""),
        "empty-entry-skipped": ([(0x0112, 3, 0, short(6)), (0x0112, 3, 1, short(5))], b""),
        "after-another-tag": ([(0x010F, 2, 4, b"abc\0"), (0x0112, 3, 1, short(7))], b""),
        "byte-type": ([(0x0112, 1, 1, bytes([6, 0, 0, 0]))], b""),
        "undefined-type": ([(0x0112, 7, 1, bytes([6, 0, 0, 0]))], b""),
        "long-above-65535": ([(0x0112, 4, 1, struct.pack("<I", 65536 + 6))], b""),
        "big-endian-count-2": ([(0x0112, 3, 2, struct.pack(">HH", 8, 1))], b""),
    }


def record_tiff(name, entries, extra):
    """Pillow's reading of one TIFF block, through a JPEG's APP1 segment as Image.open meets it."""
    import io

    big_endian = name.startswith("big-endian")
    block = ifd_block(entries, extra, big_endian=big_endian)
    buf = io.BytesIO()
    Image.new("RGB", (4, 2)).save(buf, "JPEG", exif=b"Exif\0\0" + block)
    buf.seek(0)
    with Image.open(buf) as im:
        value = im.getexif().get(0x0112)
    applied = value if type(value) is int and value in range(1, 9) else None
    return {"name": name, "block": block.hex(), "orientation": applied}


# --------------------------------------------------------------------------------------------
# Orientation outside the EXIF block (version 3): XMP, PNG text chunks, several sources at once.

XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\0"


def xmp_packet(orientation, element=False):
    """An XMP packet as cameras and Adobe software write it, with tiff:Orientation as an
    attribute or as an element."""
    if element:
        tag = f'><tiff:Orientation>{orientation}</tiff:Orientation></rdf:Description>'
    else:
        tag = f' tiff:Orientation="{orientation}"/>'
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:tiff="http://ns.adobe.com/tiff/1.0/"' + tag + "</rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode("utf-8")


def raw_profile(block):
    """ImageMagick's "Raw profile type exif" text: newline, "exif", the length in 8 columns,
    then the hex of "Exif\\0\\0" + block in lines of 72 digits."""
    data = b"Exif\0\0" + block
    digits = data.hex()
    lines = [digits[i : i + 72] for i in range(0, len(digits), 72)]
    return ("\nexif\n" + f"{len(data):8}\n" + "\n".join(lines) + "\n").encode("ascii")


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def text(key, value):
    return png_chunk(b"tEXt", key + b"\0" + value)


def ztext(key, value, method=0, raw=None):
    return png_chunk(b"zTXt", key + b"\0" + bytes([method]) + (zlib.compress(value) if raw is None else raw))


def itext(key, value, compressed=False, method=0, raw=None):
    body = zlib.compress(value) if compressed and raw is None else (value if raw is None else raw)
    return png_chunk(b"iTXt", key + b"\0" + bytes([1 if compressed else 0, method]) + b"\0\0" + body)


def png_with(before=b"", after=b"", exif=None):
    """The 7x4 pattern as Pillow writes a PNG (with an eXIf chunk of `exif` if given), with
    hand-made chunks put before the first IDAT and after the last."""
    import io

    buf = io.BytesIO()
    kw = {"exif": exif} if exif is not None else {}
    pattern(7, 4).save(buf, "PNG", **kw)
    data = buf.getvalue()
    idat = data.index(b"IDAT") - 4
    iend = data.index(b"IEND") - 4
    return data[:idat] + before + data[idat:iend] + after + data[iend:]


def jpeg_with(segments, **save):
    """The 7x4 pattern as Pillow writes a JPEG (quality 95, 4:4:4, `save` options such as xmp=
    or exif=), with hand-made APP segments (marker, payload) put right after its first segment."""
    import io

    buf = io.BytesIO()
    pattern(7, 4).save(buf, "JPEG", quality=95, subsampling=0, **save)
    data = buf.getvalue()
    first = 4 + struct.unpack(">H", data[4:6])[0]
    extra = b"".join(b"\xff" + bytes([m]) + struct.pack(">H", len(p) + 2) + p for m, p in segments)
    return data[:first] + extra + data[first:]


def metadata_cases():
    """File name -> bytes. Pillow writes the image, XMP in JPEG (save(xmp=)) and PNG text chunks
    (PngInfo); the rest is put in by hand where Pillow has no writer for it."""
    from PIL import PngImagePlugin

    def pnginfo(*adds):
        info = PngImagePlugin.PngInfo()
        for method, args, kwargs in adds:
            getattr(info, method)(*args, **kwargs)
        return info

    def pillow_png(info, exif=None):
        import io

        buf = io.BytesIO()
        kw = {"exif": exif} if exif is not None else {}
        pattern(7, 4).save(buf, "PNG", pnginfo=info, **kw)
        return buf.getvalue()

    key = b"XML:com.adobe.xmp"
    bad_ifd = tiff(3)[:4] + struct.pack("<I", 0xFFF0) + tiff(3)[8:]  # IFD0 offset past the block
    not_tiff = b"XX" + tiff(3)[2:]
    other_tag = ifd_block([(0x010F, 2, 4, b"abc\0")])  # IFD0 with Make only
    big = xmp_packet(6) + b" " * (1 << 20)  # inflates past MAX_TEXT_CHUNK
    with_dict = zlib.compressobj(zdict=b"tiff:Orientation")
    preset = with_dict.compress(xmp_packet(6)) + with_dict.flush()
    return {
        # JPEG APP1 XMP
        "xmp-6.jpg": jpeg_with([], xmp=xmp_packet(6)),
        "xmp-element-8.jpg": jpeg_with([], xmp=xmp_packet(8, element=True)),
        "xmp-last-segment-3.jpg": jpeg_with([(0xE1, XMP_PREFIX + xmp_packet(6)), (0xE1, XMP_PREFIX + xmp_packet(3))]),
        "xmp-first-match-5.jpg": jpeg_with(
            [(0xE1, XMP_PREFIX + b'<a tiff:Orientation="x" tiff:Orientation="5" tiff:Orientation="7"/>')]
        ),
        "xmp-first-match-0.jpg": jpeg_with([(0xE1, XMP_PREFIX + b'<a tiff:Orientation="06" tiff:Orientation="6"/>')]),
        "xmp-single-quotes.jpg": jpeg_with([(0xE1, XMP_PREFIX + b"<a tiff:Orientation='6'/>")]),
        "xmp-space.jpg": jpeg_with([(0xE1, XMP_PREFIX + b"<tiff:Orientation> 6</tiff:Orientation>")]),
        "xmp-9.jpg": jpeg_with([(0xE1, XMP_PREFIX + b'<a tiff:Orientation="9"/>')]),
        "xmp-1.jpg": jpeg_with([], xmp=xmp_packet(1)),
        "xmp-extension.jpg": jpeg_with([(0xE1, b"http://ns.adobe.com/xmp/extension/\0" + xmp_packet(6))]),
        "xmp-no-nul.jpg": jpeg_with([(0xE1, XMP_PREFIX[:-1] + xmp_packet(6))]),
        "xmp-truncated-packet-7.jpg": jpeg_with([(0xE1, XMP_PREFIX + xmp_packet(7)[:300])]),
        # JPEG EXIF and XMP together
        "exif-3-xmp-6.jpg": jpeg_with([], exif=pillow_exif(3), xmp=xmp_packet(6)),
        "exif-other-tag-xmp-5.jpg": jpeg_with([(0xE1, b"Exif\0\0" + other_tag), (0xE1, XMP_PREFIX + xmp_packet(5))]),
        "exif-9-xmp-6.jpg": jpeg_with([(0xE1, b"Exif\0\0" + tiff(9)), (0xE1, XMP_PREFIX + xmp_packet(6))]),
        "exif-bad-ifd-xmp-6.jpg": jpeg_with([(0xE1, b"Exif\0\0" + bad_ifd), (0xE1, XMP_PREFIX + xmp_packet(6))]),
        "exif-not-tiff-xmp-6.jpg": jpeg_with([(0xE1, b"Exif\0\0" + not_tiff), (0xE1, XMP_PREFIX + xmp_packet(6))]),
        "exif-empty-xmp-2.jpg": jpeg_with([(0xE1, b"Exif\0\0"), (0xE1, XMP_PREFIX + xmp_packet(2))]),
        "exif-double-prefix-6.jpg": jpeg_with([(0xE1, b"Exif\0\0Exif\0\0" + tiff(6))]),
        "exif-triple-prefix.jpg": jpeg_with([(0xE1, b"Exif\0\0Exif\0\0Exif\0\0" + tiff(6))]),
        # PNG XMP in text chunks
        "xmp-itxt-6.png": pillow_png(pnginfo(("add_itxt", (key, xmp_packet(6).decode()), {}))),
        "xmp-itxt-compressed-7.png": pillow_png(pnginfo(("add_itxt", (key, xmp_packet(7).decode()), {"zip": True}))),
        "xmp-text-2.png": pillow_png(pnginfo(("add_text", (key, xmp_packet(2).decode("latin-1")), {}))),
        "xmp-ztxt-4.png": pillow_png(pnginfo(("add_text", (key, xmp_packet(4).decode("latin-1")), {"zip": True}))),
        "xmp-itxt-after-idat-5.png": png_with(after=itext(key, xmp_packet(5))),
        "xmp-last-chunk-8.png": png_with(itext(key, xmp_packet(6)), text(key, xmp_packet(8))),
        "xmp-itxt-not-utf8-6.png": png_with(itext(key, xmp_packet(6) + b"\xff")),
        "xmp-itxt-not-utf8-text-3.png": png_with(itext(key, xmp_packet(6) + b"\xff") + text(key, xmp_packet(3))),
        "xmp-empty-text-keeps-itxt-8.png": png_with(itext(key, xmp_packet(8)) + text(key, b"")),
        "xmp-ztxt-bad-zlib.png": png_with(ztext(key, b"", raw=b"not zlib data")),
        "xmp-ztxt-bad-zlib-keeps-itxt-8.png": png_with(itext(key, xmp_packet(8)) + ztext(key, b"", raw=b"junk")),
        "xmp-ztxt-cut-short-6.png": png_with(ztext(key, b"", raw=zlib.compress(xmp_packet(6))[:-6])),
        "xmp-ztxt-too-large.png": png_with(ztext(key, big)),
        "xmp-ztxt-method-1.png": png_with(ztext(key, xmp_packet(6), method=1)),
        "xmp-itxt-method-1.png": png_with(itext(key, xmp_packet(6), compressed=True, method=1)),
        "xmp-itxt-bad-zlib.png": png_with(itext(key, b"", compressed=True, raw=b"junk")),
        "xmp-itxt-preset-dictionary.png": png_with(itext(key, b"", compressed=True, raw=preset)),
        "xmp-key-text.png": png_with(text(b"xmp", xmp_packet(6))),
        # 65 zTXt chunks of 1 MiB of text each: past MAX_TEXT_MEMORY (64 MiB)
        "xmp-text-memory.png": png_with(ztext(key, xmp_packet(6).ljust(1 << 20)) * 65),
        # Chunks of keys getexif does not read are inflated and counted all the same (PngStream
        # inflates every zTXt and compressed iTXt, and counts every key's text): Pillow refuses these
        "other-key-ztxt-too-large-xmp.png": png_with(itext(key, xmp_packet(6)) + ztext(b"Comment", big)),
        "empty-key-ztxt-too-large-xmp.png": png_with(itext(key, xmp_packet(6)) + ztext(b"", big)),
        "other-key-itxt-too-large-xmp.png": png_with(itext(key, xmp_packet(6)) + itext(b"Comment", big, compressed=True)),
        "other-key-text-memory-xmp.png": png_with(itext(key, xmp_packet(6)) + ztext(b"Comment", b" " * (1 << 20)) * 65),
        # ... and counts an iTXt's text in characters (len of the str): 65 chunks of 2^19 "é", 65 MiB
        # of UTF-8 but 32.5 Mi characters, are within MAX_TEXT_MEMORY
        "other-key-itxt-characters-xmp-6.png": png_with(
            itext(key, xmp_packet(6)) + itext(b"Comment", "\u00e9".encode() * (1 << 19), compressed=True) * 65),
        # PNG "Raw profile type exif" and text keyed "exif"
        "raw-profile-6.png": png_with(text(b"Raw profile type exif", raw_profile(tiff(6)))),
        "raw-profile-ztxt-8.png": pillow_png(
            pnginfo(("add_text", ("Raw profile type exif", raw_profile(tiff(8, True)).decode()), {"zip": True}))
        ),
        "raw-profile-itxt-after-idat-5.png": png_with(after=itext(b"Raw profile type exif", raw_profile(tiff(5)))),
        "raw-profile-spaces-7.png": png_with(
            text(b"Raw profile type exif", b"\nexif\n  x\n\t" + b" ".join(
                (b"Exif\0\0" + tiff(7)).hex()[i : i + 2].encode() for i in range(0, 2 * len(tiff(7)) + 12, 2)))
        ),
        "raw-profile-not-hex.png": png_with(text(b"Raw profile type exif", b"\nexif\n   20\n45786966zz")),
        "raw-profile-odd-digits.png": png_with(text(b"Raw profile type exif", raw_profile(tiff(6))[:-2])),
        "raw-profile-two-lines.png": png_with(text(b"Raw profile type exif", b"\nexif 4578696600004949")),
        "raw-profile-3-xmp-6.png": png_with(text(b"Raw profile type exif", raw_profile(tiff(3))) + itext(key, xmp_packet(6))),
        "raw-profile-no-tag-xmp-6.png": png_with(
            text(b"Raw profile type exif", raw_profile(other_tag)) + itext(key, xmp_packet(6))),
        "exif-chunk-5-raw-profile-3.png": png_with(text(b"Raw profile type exif", raw_profile(tiff(3))), exif=pillow_exif(5)),
        "exif-empty-chunk-raw-profile-6.png": png_with(
            png_chunk(b"eXIf", b"") + text(b"Raw profile type exif", raw_profile(tiff(6)))),
        "exif-text-6.png": png_with(text(b"exif", b"Exif\0\0" + tiff(6))),
        "exif-ztxt.png": png_with(ztext(b"exif", b"Exif\0\0" + tiff(6))),
        # PNG EXIF and XMP together
        "exif-chunk-3-xmp-6.png": png_with(itext(key, xmp_packet(6)), exif=pillow_exif(3)),
        "exif-chunk-9-xmp-6.png": png_with(png_chunk(b"eXIf", tiff(9)) + itext(key, xmp_packet(6))),
        "exif-chunk-bad-ifd-xmp-6.png": png_with(png_chunk(b"eXIf", bad_ifd) + itext(key, xmp_packet(6))),
        "exif-chunk-not-tiff-xmp-6.png": png_with(png_chunk(b"eXIf", not_tiff) + itext(key, xmp_packet(6))),
        "broken-chunk-type-xmp.png": png_with(after=png_chunk(b"a-b!", b"") + itext(key, xmp_packet(6))),
    }


def record_metadata(name, data):
    """What Pillow 13 does with one file: the orientation exif_transpose applies (found by
    comparing its pixels with each transposition of the opened image), or the error it raises."""
    import io

    (ROOT / name).write_bytes(data)
    entry = {"file": name, "orientation": None, "tag": None, "pillowError": None}
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            shown = ImageOps.exif_transpose(im)
            tag = im.getexif().get(0x0112)
            entry["tag"] = tag if type(tag) is int else None
            methods = {
                2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
                6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
            }
            same = [n for n, m in methods.items() if im.transpose(m).tobytes() == shown.tobytes()
                    and im.transpose(m).size == shown.size]
            if shown.tobytes() != im.tobytes() or shown.size != im.size:
                assert len(same) == 1, (name, same)
                entry["orientation"] = same[0]
    except Exception as error:  # the reference pipeline has no image here
        import re

        message = re.sub(r" at 0x[0-9a-f]+", "", str(error))  # no object addresses: same run, same bytes
        entry["pillowError"] = f"{type(error).__name__}: {message}"[:200]
    return entry


def main():
    ROOT.mkdir(exist_ok=True)
    images = []
    base = pattern(7, 4)
    jpeg = dict(quality=95, subsampling=0)
    for n in range(1, 9):
        name = f"orientation-{n}.jpg"
        base.save(ROOT / name, exif=pillow_exif(n), **jpeg)  # Pillow writes "MM" (big endian)
        images.append(record(name, byteOrder="MM"))
    # Little-endian block, written by hand.
    base.save(ROOT / "orientation-6-ii.jpg", exif=b"Exif\0\0" + tiff(6, big_endian=False), **jpeg)
    images.append(record("orientation-6-ii.jpg", byteOrder="II"))
    # The value as a LONG, which Pillow accepts too.
    base.save(ROOT / "orientation-8-long.jpg", exif=b"Exif\0\0" + tiff(8, value_type=4), **jpeg)
    images.append(record("orientation-8-long.jpg", byteOrder="II"))
    # A value outside 1...8: Pillow leaves the pixels as stored.
    base.save(ROOT / "orientation-9.jpg", exif=b"Exif\0\0" + tiff(9), **jpeg)
    images.append(record("orientation-9.jpg", note=True))
    # PNG eXIf chunks; RGBA so the alpha plane is turned too.
    base.save(ROOT / "orientation-6.png", exif=pillow_exif(6))
    images.append(record("orientation-6.png"))
    rgba = base.copy()
    rgba.putalpha(Image.linear_gradient("L").resize((7, 4)))
    rgba.save(ROOT / "orientation-5-rgba.png", exif=pillow_exif(5))
    images.append(record("orientation-5-rgba.png"))
    # CMYK JPEG: the ink plane is turned too.
    base.convert("CMYK").save(ROOT / "orientation-7-cmyk.jpg", exif=pillow_exif(7), quality=95)
    images.append(record("orientation-7-cmyk.jpg"))

    # For the CLI tests: a crop of the bird photo tagged 6, and as Pillow shows it (transposed)
    # and stores it (as opened), both as PNG without EXIF.
    with Image.open(BIRD) as bird:
        crop = bird.convert("RGB").crop((40, 30, 120, 90))
    crop.save(ROOT / "bird-6.jpg", exif=pillow_exif(6), **jpeg)
    with Image.open(ROOT / "bird-6.jpg") as im:
        im.load()
        im.save(ROOT / "bird-6-stored.png")
        ImageOps.exif_transpose(im).save(ROOT / "bird-6-displayed.png")

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns of the malformed entries, as designed
        blocks = [record_tiff(name, *case) for name, case in tiff_cases().items()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metadata = [record_metadata(name, data) for name, data in metadata_cases().items()]
    manifest = {
        "version": VERSION, "pillow": PIL.__version__, "images": images, "tiffBlocks": blocks, "metadata": metadata,
    }
    (ROOT / "expected.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
