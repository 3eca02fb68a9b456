#!/usr/bin/env python3
"""Writes Tests/ImagingTests/Fixtures/exif: tiny photos carrying an EXIF Orientation tag, and what
Pillow's ImageOps.exif_transpose makes of each (the reference for ExifOrientationTests and the
--exif-transpose CLI tests); and photos whose orientation sits elsewhere (XMP, PNG text chunks,
both EXIF and XMP, malformed), with the orientation exif_transpose applies to each (ExifMetadataTests).

Version 4 adds edge_cases(): TIFF blocks whose out-of-line values outgrow the block or cannot be
read, IFD0 offsets inside the header, the TIFF headers Pillow accepts besides II*\0 and MM\0*,
PNG chunks with wrong CRCs, APNG frames, MPO, and JPEG marker oddities.

Version 5 adds png_truncation_cases(): PNG chunks whose data or CRC run past the end of the file,
before the image data and after it.

Run from the repository root:  python3 Tests/ImagingTests/Fixtures/make_exif_fixtures.py
Needs Pillow (pip install pillow==13.0.0; made with 13.0.0). Deterministic: same Pillow, same bytes.
"""
import json
import struct
import zlib
from pathlib import Path

import PIL
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent / "exif"
BIRD = Path(__file__).resolve().parents[2] / "CLIPTests/Fixtures/images/bird.jpg"
VERSION = 5


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


# --------------------------------------------------------------------------------------------
# Edge cases (version 4): how far Pillow 13 reads a TIFF block, which TIFF headers it accepts,
# and which PNG and JPEG structures stop or refuse the file before the orientation is read.


def raw_block(head, ifd_offset, body, big_endian=False):
    """A TIFF block made by hand: 4 header bytes, the IFD0 offset, then `body` from offset 8."""
    return head + struct.pack(">I" if big_endian else "<I", ifd_offset) + body


def entry(tag, value_type, count, value, big_endian=False):
    """One 12-byte IFD entry; `value` is 4 bytes, or an int written as a 4-byte offset."""
    e = ">" if big_endian else "<"
    if isinstance(value, int):
        value = struct.pack(e + "I", value)
    return struct.pack(e + "HHI", tag, value_type, count) + value


def ifd_at_8(entries, extra=b"", big_endian=False, head=None):
    """A block with IFD0 at offset 8 holding `entries` (12-byte strings), then `extra`."""
    e = ">" if big_endian else "<"
    head = head or ((b"MM\0*" if big_endian else b"II*\0") + struct.pack(e + "I", 8))
    return head + struct.pack(e + "H", len(entries)) + b"".join(entries) + struct.pack(e + "I", 0) + extra


def values_at(n_entries):
    """Where out-of-line values start in an ifd_at_8 block of `n_entries` entries."""
    return 8 + 2 + 12 * n_entries + 4


def short3(v):
    return struct.pack("<HHH", v, 1, 1)


def tiff_edge_blocks():
    """TIFF blocks for ImageFileDirectory_v2.load's bookkeeping (put in a PNG eXIf chunk, where
    Pillow's errors surface): the running total of out-of-line value sizes is held against the
    block's length ("Tag data larger than file": the entry is skipped, the total kept), a value
    Pillow cannot read in full ends IFD0 there (OSError "Truncated File Read", caught in load()),
    an unknown type or a repeated tag is skipped before it is counted, and IFD0 may start
    anywhere, the header included."""
    make, model = 0x010F, 0x0110
    at2 = values_at(2)
    return {
        # Make claims 4096 bytes (more than the block): skipped, yet counted, so the Orientation
        # after it, whose 6 bytes lie inside the block, is skipped too.
        "tiff-total-past-size.png": ifd_at_8(
            [entry(make, 2, 4096, at2 + 6), entry(0x0112, 3, 3, at2)], short3(6) + b"abc\0"),
        "tiff-total-within-size-6.png": ifd_at_8(
            [entry(make, 2, 4, at2 + 6), entry(0x0112, 3, 3, at2)], short3(6) + b"abc\0"),
        # Two entries point at the same 64 bytes: overlapping values are counted each time.
        "tiff-overlapping-values.png": ifd_at_8(
            [entry(make, 2, 64, values_at(3) + 6), entry(model, 2, 64, values_at(3) + 6),
             entry(0x0112, 3, 3, values_at(3))], short3(6) + b"x" * 64),
        "tiff-overlapping-values-one-6.png": ifd_at_8(
            [entry(make, 2, 64, at2 + 6), entry(0x0112, 3, 3, at2)], short3(6) + b"x" * 64),
        # A value past the end of the block (within the total): reading it fails and IFD0 ends.
        "tiff-value-past-end-stops.png": ifd_at_8([entry(make, 2, 10, 5000), entry(0x0112, 3, 1, short(6))]),
        "tiff-value-cut-short-stops.png": ifd_at_8(
            [entry(0x0112, 3, 3, at2), entry(0x0112, 3, 1, short(5))], struct.pack("<HH", 6, 1)),
        # Skipped by the total, not read: the next entry counts.
        "tiff-past-total-then-inline-6.png": ifd_at_8([entry(make, 2, 100000, 0), entry(0x0112, 3, 1, short(6))]),
        # An unknown type is skipped before it is counted.
        "tiff-unknown-type-not-counted-6.png": ifd_at_8(
            [entry(make, 99, 100000, 0), entry(0x0112, 3, 3, at2)], short3(6)),
        # A repeated tag is skipped before it is counted.
        "tiff-repeated-tag-not-counted-6.png": ifd_at_8(
            [entry(make, 2, 4, b"abc\0"), entry(make, 2, 100000, 0), entry(0x0112, 3, 3, values_at(3))],
            short3(6)),
        # IFD0 inside the header: at 2 (II: 42 entries, the first from the offset's bytes, of
        # type 0; the second at 16), at 0 (0x4949 entries, the second at 14), at 4 (MM: 0).
        "tiff-ifd-offset-2-6.png": raw_block(b"II*\0", 2, b"\0" * 8 + entry(0x0112, 3, 1, short(6))),
        "tiff-ifd-offset-0-8.png": raw_block(b"II*\0", 0, b"\0" * 6 + entry(0x0112, 3, 1, short(8)) + b"\0" * 4),
        "tiff-ifd-offset-4-mm.png": raw_block(b"MM\0*", 4, entry(0x0112, 3, 1, b"\0\6\0\0", True), True),
        "tiff-ifd-offset-9000.png": raw_block(b"II*\0", 9000, entry(0x0112, 3, 1, short(6))),
        # Headers: Pillow accepts MM*\0 and II\0* (byte order from the first two bytes) and
        # MM\0+ (read as classic TIFF: only II+\0 sets BigTIFF), refuses the rest.
        "tiff-header-mm-2a00-6.png": ifd_at_8(
            [entry(0x0112, 3, 1, b"\0\6\0\0", True)], big_endian=True, head=b"MM*\0\0\0\0\x08"),
        "tiff-header-ii-002a-3.png": ifd_at_8([entry(0x0112, 3, 1, short(3))], head=b"II\0*\x08\0\0\0"),
        "tiff-header-mm-002b-5.png": ifd_at_8(
            [entry(0x0112, 3, 1, b"\0\5\0\0", True)], big_endian=True, head=b"MM\0+\0\0\0\x08"),
        "tiff-header-ii-2b00.png": b"II+\0\x08\0\0\0\x10\0\0\0\0\0\0\0" + struct.pack("<Q", 1)
        + struct.pack("<HHQ", 0x0112, 3, 1) + struct.pack("<HHHH", 6, 0, 0, 0) + b"\0" * 8,
        "tiff-header-mm-2b00.png": ifd_at_8(
            [entry(0x0112, 3, 1, b"\0\6\0\0", True)], big_endian=True, head=b"MM+\0\0\0\0\x08"),
        "tiff-header-ii-002b.png": ifd_at_8([entry(0x0112, 3, 1, short(6))], head=b"II\0+\x08\0\0\0"),
        "tiff-header-im.png": ifd_at_8([entry(0x0112, 3, 1, short(6))], head=b"IM*\0\x08\0\0\0"),
        "tiff-header-6-bytes.png": b"II*\0\x08\0",
    }


def short(v):
    return struct.pack("<HH", v, 0)


def png_parts():
    """The 7x4 pattern as Pillow writes a PNG: its IHDR chunk, the IDAT chunks, and IEND."""
    import io

    buf = io.BytesIO()
    pattern(7, 4).save(buf, "PNG")
    data = buf.getvalue()
    idat = data.index(b"IDAT") - 4
    iend = data.index(b"IEND") - 4
    return data[8:idat], data[idat:iend], data[iend:]


def bad_crc(chunk):
    """`chunk` with its CRC inverted."""
    return chunk[:-4] + bytes(b ^ 0xFF for b in chunk[-4:])


def actl(frames, plays=0):
    return png_chunk(b"acTL", struct.pack(">II", frames, plays))


def fctl(seq, width=7, height=4, x=0, y=0):
    return png_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, width, height, x, y, 1, 10, 0, 0))


def fdat(seq, idat):
    """The frame data of an IDAT chunk (`idat`, the whole chunk) as an fdAT chunk."""
    length = struct.unpack(">I", idat[:4])[0]
    return png_chunk(b"fdAT", struct.pack(">I", seq) + idat[8 : 8 + length])


def png_structure_cases():
    """PNG chunks Pillow checks or stops at: CRCs (checked up to the first IDAT, in _open; after
    it, load_end skips them), APNG (after the first frame's data, load_end stops at the next
    fcTL when the image is animated; fcTL, fdAT and acTL are checked where they are read)."""
    head, idat, end = png_parts()
    sig = b"\x89PNG\r\n\x1a\n"
    exif6 = png_chunk(b"eXIf", tiff(6))
    key = b"XML:com.adobe.xmp"
    apng = lambda *chunks: sig + head + b"".join(chunks) + end
    return {
        "crc-exif-before-idat.png": sig + head + bad_crc(exif6) + idat + end,
        "crc-exif-after-idat-6.png": sig + head + idat + bad_crc(exif6) + end,
        "crc-xmp-before-idat.png": sig + head + bad_crc(itext(key, xmp_packet(6))) + idat + end,
        "crc-private-chunk-before-idat.png": sig + head + exif6 + bad_crc(png_chunk(b"prIv", b"x")) + idat + end,
        "crc-private-chunk-after-idat-6.png": sig + head + exif6 + idat + bad_crc(png_chunk(b"prIv", b"x")) + end,
        # Pillow's own APNG: eXIf before the frames.
        "apng-pillow-6.png": None,
        "apng-exif-after-frame-0-6.png": apng(actl(2), fctl(0), idat, exif6, fctl(1), fdat(2, idat)),
        "apng-exif-between-frames.png": apng(actl(2), fctl(0), idat, fctl(1), exif6, fdat(2, idat)),
        "apng-exif-at-end.png": apng(actl(2), fctl(0), idat, fctl(1), fdat(2, idat), exif6),
        "apng-xmp-at-end.png": apng(actl(2), fctl(0), idat, fctl(1), fdat(2, idat), itext(key, xmp_packet(6))),
        # The IDAT as a default image, not a frame: frames follow it.
        "apng-default-image-exif-after-fctl.png": apng(actl(1), idat, fctl(0), exif6, fdat(1, idat)),
        "apng-default-image-exif-before-fctl-6.png": apng(actl(1), idat, exif6, fctl(0), fdat(1, idat)),
        # Not animated: one frame, no valid acTL, or two acTL chunks; load_end reads on.
        "apng-one-frame-exif-at-end-6.png": apng(actl(1), fctl(0), idat, exif6),
        "apng-zero-frames-exif-at-end-6.png": apng(actl(0), fctl(0), idat, fctl(1), fdat(2, idat), exif6),
        "apng-two-actl-exif-at-end-6.png": apng(actl(2), actl(2), fctl(0), idat, fctl(1), fdat(2, idat), exif6),
        "apng-no-actl-exif-at-end-6.png": apng(fctl(0), idat, fctl(1), fdat(2, idat), exif6),
        # Checked where read: refused.
        "apng-fctl-sequence-error.png": apng(actl(2), fctl(1), idat, exif6),
        "apng-fctl-outside-image.png": apng(actl(2), fctl(0, width=8), idat, exif6),
        "apng-fctl-truncated.png": apng(actl(2), png_chunk(b"fcTL", b"\0" * 20), idat, exif6),
        "apng-actl-truncated.png": apng(png_chunk(b"acTL", b"\0\0\0\2"), fctl(0), idat, exif6),
        "apng-not-animated-fctl-sequence-error.png": apng(fctl(0), idat, fctl(5), fdat(6, idat), exif6),
        "apng-not-animated-fdat-sequence-error.png": apng(fctl(0), idat, fdat(7, idat), exif6),
        "apng-not-animated-fdat-truncated.png": apng(fctl(0), idat, png_chunk(b"fdAT", b"\0\0"), exif6),
        "apng-animated-fctl-error-after-frame.png": apng(actl(2), fctl(0), idat, fctl(7), fdat(8, idat), exif6),
    }


def png_truncation_cases():
    """File name -> (bytes, whether the file holds a decodable image): a chunk whose declared
    length or CRC runs past the end of the file. Every chunk handler but IDAT's, IEND's and
    fdAT's reads the data whole (ImageFile._safe_read: OSError "Truncated File Read"), in _open
    and in load_end alike; _open also reads each CRC before the image data ("incomplete
    checksum"), load_end does not; IEND, and the image data (which the decoder reads as far as
    the file goes), end the walk unread."""
    head, idat, end = png_parts()
    sig = b"\x89PNG\r\n\x1a\n"
    exif6 = png_chunk(b"eXIf", tiff(6))

    def past_the_end(chunk, length=0x1000):
        """`chunk` declaring `length` bytes of data, more than the file holds after it."""
        return struct.pack(">I", length) + chunk[4:]

    return {
        # Before IDAT the chunk swallows the image data: no image (libpng finds none either).
        "chunk-past-the-end-before-idat.png": (sig + head + exif6 + past_the_end(png_chunk(b"eXIf", tiff(3)))
                                               + idat + end, False),
        "crc-cut-before-idat.png": (sig + head + exif6[:-2], False),
        # After IDAT the pixels are whole: Pillow's load_end fails; an eXIf read before it is not applied.
        "chunk-past-the-end-after-idat.png": (sig + head + exif6 + idat + past_the_end(png_chunk(b"prIv", b"x"))
                                              + end, True),
        "exif-past-the-end-after-idat.png": (sig + head + idat + past_the_end(png_chunk(b"eXIf", tiff(3))) + end,
                                             True),
        # Not read past the end: IEND's data, a CRC after IDAT.
        "iend-past-the-end-6.png": (sig + head + exif6 + idat + past_the_end(end), True),
        "crc-cut-exif-after-idat-6.png": (sig + head + idat + exif6[:-2], True),
        "crc-missing-exif-after-idat-6.png": (sig + head + idat + exif6[:-4], True),
        # An empty eXIf (a header alone, 8 bytes) replaces the one before it.
        "empty-exif-without-crc-after-idat.png": (sig + head + exif6 + idat + png_chunk(b"eXIf", b"")[:-4], True),
    }


def jpeg_parts(**save):
    """The 7x4 pattern as Pillow writes a JPEG: SOI, its APP0 segment, and the rest."""
    import io

    buf = io.BytesIO()
    pattern(7, 4).save(buf, "JPEG", quality=95, subsampling=0, **save)
    data = buf.getvalue()
    first = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:first], data[first:]


def segment(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_structure_cases():
    """JPEG markers as JpegImageFile._open walks them: fill bytes, standalone markers (RSTn,
    SOI, EOI, JPG, JPGn carry no length), markers Pillow does not know (TEM and 0x02...0xBF:
    "no marker found"), lengths below 2 (nothing read, the walk goes on after the length), a
    segment running past the end ("Truncated File Read"), and APP1 after the first scan."""
    start, rest = jpeg_parts()
    app1 = segment(0xE1, b"Exif\0\0" + tiff(6))
    eoi = rest.rindex(b"\xff\xd9")
    import io

    a, b = pattern(7, 4), pattern(7, 4).transpose(Image.Transpose.ROTATE_180)
    buf = io.BytesIO()
    a.save(buf, "MPO", save_all=True, append_images=[b], quality=95, exif=pillow_exif(6))
    # Pillow writes the first frame's EXIF into both: the second frame's says 3.
    m = buf.getvalue()
    six, three = pillow_exif(6).tobytes(), pillow_exif(3).tobytes()
    second = m.index(six, m.index(six) + 1)
    m = m[:second] + three + m[second + len(six) :]
    buf = io.BytesIO()
    a.save(buf, "MPO", save_all=True, append_images=[b], quality=95)
    plain = buf.getvalue()
    frame2 = plain.index(b"\xff\xd8", plain.index(b"\xff\xd9")) + 2
    second_only = plain[:frame2] + segment(0xE1, b"Exif\0\0" + tiff(8)) + plain[frame2:]
    app2 = m.index(b"\xff\xe2")
    app2_end = app2 + 2 + struct.unpack(">H", m[app2 + 2 : app2 + 4])[0]
    app1_at = m.index(b"\xff\xe1")
    app1_end = app1_at + 2 + struct.unpack(">H", m[app1_at + 2 : app1_at + 4])[0]
    return {
        "jpeg-fill-bytes-6.jpg": start + b"\xff\xff\xff" + app1[1:] + rest,
        "jpeg-rst-before-app1-6.jpg": start + b"\xff\xd0\xff\xd7" + app1 + rest,
        # A second SOI, or an EOI before the first scan: libjpeg refuses the file (Pillow's load).
        "jpeg-soi-before-app1.jpg": start + b"\xff\xd8" + app1 + rest,
        "jpeg-eoi-before-app1.jpg": start + b"\xff\xd9" + app1 + rest,
        "jpeg-tem-before-app1.jpg": start + b"\xff\x01" + app1 + rest,
        "jpeg-app0-length-0-exif-6.jpg": start + b"\xff\xe0\0\0" + app1 + rest,
        "jpeg-app0-length-1-exif-6.jpg": start + b"\xff\xe0\0\1" + app1 + rest,
        "jpeg-app1-empty-exif-6.jpg": start + b"\xff\xe1\0\2" + app1 + rest,
        "jpeg-app1-after-sos.jpg": start + rest[:eoi] + app1 + rest[eoi:],
        "jpeg-app1-past-the-end.jpg": start + app1 + b"\xff\xe1\x10\0" + b"Exif\0\0" + tiff(3),
        "jpeg-length-cut.jpg": start + app1 + b"\xff\xe1\x10",
        # MPO (Pillow's writer: APP1 Exif and APP2 MPF in each frame): only the first frame's
        # segments before its scan are read.
        "mpo-6.jpg": m,
        "mpo-second-frame-only.jpg": second_only,
        # The first frame's APP2 MPF before its APP1, and a second APP1 Exif after both.
        "mpo-app2-first-6.jpg": m[:app1_at] + m[app2:app2_end] + m[app1_at:app1_end] + m[app2_end:],
    }


def edge_cases():
    """File name -> (bytes, whether the file holds a decodable image)."""
    cases = {name: (png_with(png_chunk(b"eXIf", block)), True) for name, block in tiff_edge_blocks().items()}
    # The same blocks through a JPEG's APP1 segment, where JpegImageFile catches getexif's errors
    # (unless a JFIF density gives the dpi, which Pillow's writer does not).
    for name in ["tiff-header-mm-2a00-6.png", "tiff-header-ii-2b00.png", "tiff-ifd-offset-2-6.png"]:
        block = tiff_edge_blocks()[name]
        cases[name.replace(".png", ".jpg")] = (jpeg_with([(0xE1, b"Exif\0\0" + block)]), True)
    for name, data in png_structure_cases().items():
        if data is None:
            import io

            buf = io.BytesIO()
            pattern(7, 4).save(buf, "PNG", save_all=True, append_images=[pattern(7, 4).transpose(
                Image.Transpose.ROTATE_180)], exif=pillow_exif(6))
            data = buf.getvalue()
        cases[name] = (data, True)
    for name, data in jpeg_structure_cases().items():
        no_image = ("jpeg-app1-past-the-end.jpg", "jpeg-length-cut.jpg", "jpeg-soi-before-app1.jpg",
                    "jpeg-eoi-before-app1.jpg")
        cases[name] = (data, name not in no_image)
    return cases


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
        for name, (data, image) in [*edge_cases().items(), *png_truncation_cases().items()]:
            metadata.append(record_metadata(name, data))
            if not image:
                metadata[-1]["noImage"] = True
    manifest = {
        "version": VERSION, "pillow": PIL.__version__, "images": images, "tiffBlocks": blocks, "metadata": metadata,
    }
    (ROOT / "expected.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
