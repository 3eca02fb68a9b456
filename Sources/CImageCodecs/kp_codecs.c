// kp_codecs.c: setjmp-safe decoding of JPEG and PNG, and PNG encoding, for the Imaging module.
// See include/kp_codecs.h for the contract. Everything that may longjmp lives in this file.

#include "kp_codecs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

// MARK: - Helpers

static void kp_set_error(char *err, size_t errlen, const char *fmt, ...) {
    if (err == NULL || errlen == 0) {
        return;
    }
    va_list args;
    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}

/// Appends one line to a kp_image warnings buffer; silently stops when the buffer is full.
static void kp_append_warning(kp_image *image, const char *message) {
    if (image == NULL) {
        return;
    }
    size_t used = strlen(image->warnings);
    if (used + 2 >= KP_WARNINGS_CAPACITY) {
        return;
    }
    if (used > 0) {
        image->warnings[used++] = '\n';
        image->warnings[used] = '\0';
    }
    snprintf(image->warnings + used, KP_WARNINGS_CAPACITY - used, "%s", message);
}

/// Refuses absurd sizes before any pixel buffer is allocated.
static int kp_size_ok(long long width, long long height, kp_limits limits) {
    // width, height <= max_side (far below 2^31), so the product cannot overflow.
    return width > 0 && height > 0 && width <= limits.max_side && height <= limits.max_side &&
           width * height <= limits.max_pixels;
}

/// Pillow's MULDIV255: a * b / 255 rounded, for 0 <= a, b <= 255.
static inline int kp_muldiv255(int a, int b) {
    int tmp = a * b + 128;
    return ((tmp >> 8) + tmp) >> 8;
}

static inline uint8_t kp_clip8(int v) {
    return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

void kp_image_free(kp_image *image) {
    if (image == NULL) {
        return;
    }
    free(image->rgb);
    free(image->alpha);
    free(image->cmyk);
    free(image->grey16);
    memset(image, 0, sizeof *image);
}

void kp_buffer_free(uint8_t *buffer) { free(buffer); }

// MARK: - JPEG

typedef struct {
    struct jpeg_error_mgr pub;  // must stay first: libjpeg hands us a pointer to it
    jmp_buf jump;
    int status;
    char message[JMSG_LENGTH_MAX + 96];
    kp_image *image;
    int stop_at_damage;  // kp_limits.stop_at_damage
    int header_read;     // 1 once jpeg_read_header returned: running out of data is then damage
} kp_jpeg_error;

/// Replaces libjpeg's error_exit, which would print and call exit().
static void kp_jpeg_error_exit(j_common_ptr cinfo) {
    kp_jpeg_error *e = (kp_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    e->status = KP_ERR_DECODE;
    longjmp(e->jump, 1);
}

/// Collects warnings instead of printing them. Data that ends inside the header is fatal (there
/// is no image to show); data that ends inside the scans is damage, like corrupt scan data:
/// libjpeg warns, inserts a fake EOI and fills the rest of the image with grey.
static void kp_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0) {
        return;  // trace messages
    }
    kp_jpeg_error *e = (kp_jpeg_error *)cinfo->err;
    cinfo->err->num_warnings++;
    char text[JMSG_LENGTH_MAX + 48];
    (*cinfo->err->format_message)(cinfo, text);
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, " (the data ends early: truncated file?)");
        if (!e->header_read) {
            snprintf(e->message, sizeof e->message, "%s", text);
            e->status = KP_ERR_DECODE;
            longjmp(e->jump, 1);
        }
    }
    switch (cinfo->err->msg_code) {
        // Damaged scan data: libjpeg resynchronises and fills what it lost with grey.
        case JWRN_JPEG_EOF:          // the file ends inside the scans (cut short)
        case JWRN_HIT_MARKER:        // "premature end of data segment" (e.g. cut and closed with EOI)
        case JWRN_HUFF_BAD_CODE:
        case JWRN_MUST_RESYNC:
        case JWRN_NOT_SEQUENTIAL:
        case JWRN_BOGUS_PROGRESSION:
            if (e->image != NULL) {
                e->image->damaged = 1;
            }
            if (e->stop_at_damage) {
                snprintf(e->message, sizeof e->message, "%s", text);
                e->status = KP_ERR_DAMAGED;
                longjmp(e->jump, 1);
            }
            break;
        default:                     // e.g. extraneous bytes before a marker: pixels intact
            break;
    }
    kp_append_warning(e->image, text);
}

static void kp_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

/// Stops decoding with a status of our own, through the same cleanup path as libjpeg errors.
static void kp_jpeg_fail(j_decompress_ptr cinfo, int status, const char *fmt, ...) {
    kp_jpeg_error *e = (kp_jpeg_error *)cinfo->err;
    va_list args;
    va_start(args, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, args);
    va_end(args);
    e->status = status;
    longjmp(e->jump, 1);
}

int kp_decode_jpeg(const uint8_t *data, size_t len, kp_limits limits, kp_image *out, char *err, size_t errlen) {
    if (out == NULL) {
        kp_set_error(err, errlen, "kp_decode_jpeg: no output struct");
        return KP_ERR_ARGUMENT;
    }
    memset(out, 0, sizeof *out);
    if (data == NULL || len == 0) {
        kp_set_error(err, errlen, "empty input");
        return KP_ERR_DECODE;
    }

    struct jpeg_decompress_struct cinfo;
    kp_jpeg_error jerr;
    JSAMPLE *volatile row = NULL;  // assigned after setjmp: volatile keeps it valid after longjmp

    memset(&cinfo, 0, sizeof cinfo);
    memset(&jerr, 0, sizeof jerr);
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = kp_jpeg_error_exit;
    jerr.pub.emit_message = kp_jpeg_emit_message;
    jerr.pub.output_message = kp_jpeg_output_message;
    jerr.status = KP_OK;
    jerr.image = out;
    jerr.stop_at_damage = limits.stop_at_damage;

    if (setjmp(jerr.jump)) {
        int status = jerr.status == KP_OK ? KP_ERR_DECODE : jerr.status;
        kp_set_error(err, errlen, "%s", jerr.message);
        jpeg_destroy_decompress(&cinfo);
        free(row);
        kp_image_free(out);
        return status;
    }

    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    jerr.header_read = 1;

    if (!kp_size_ok(cinfo.image_width, cinfo.image_height, limits)) {
        kp_jpeg_fail(&cinfo, KP_ERR_TOO_LARGE,
                     "image is %ux%u, over the limit of %lld px per side or %lld pixels",
                     cinfo.image_width, cinfo.image_height, limits.max_side, limits.max_pixels);
    }
    switch (cinfo.num_components) {
        case 1:
            cinfo.out_color_space = JCS_GRAYSCALE;
            out->color_model = KP_MODEL_GRAY;
            break;
        case 3:
            cinfo.out_color_space = JCS_RGB;
            out->color_model = KP_MODEL_RGB;
            break;
        case 4:
            // CMYK and YCCK both come out as CMYK; libjpeg converts YCCK itself.
            cinfo.out_color_space = JCS_CMYK;
            out->color_model = KP_MODEL_CMYK;
            break;
        default:
            kp_jpeg_fail(&cinfo, KP_ERR_UNSUPPORTED, "JPEG with %d colour components",
                         cinfo.num_components);
    }
    out->bit_depth = cinfo.data_precision;
    out->progressive = cinfo.progressive_mode ? 1 : 0;

    jpeg_start_decompress(&cinfo);
    const int width = (int)cinfo.output_width;
    const int height = (int)cinfo.output_height;
    const int components = cinfo.output_components;
    if (!kp_size_ok(width, height, limits) || (components != 1 && components != 3 && components != 4)) {
        kp_jpeg_fail(&cinfo, KP_ERR_DECODE, "unexpected output %dx%d with %d components",
                     width, height, components);
    }
    const size_t npix = (size_t)width * (size_t)height;
    out->width = width;
    out->height = height;
    out->rgb = (uint8_t *)malloc(npix * 3);
    if (components == 4) {
        out->cmyk = (uint8_t *)malloc(npix * 4);
    }
    row = (JSAMPLE *)malloc((size_t)width * (size_t)components);
    if (out->rgb == NULL || row == NULL || (components == 4 && out->cmyk == NULL)) {
        kp_jpeg_fail(&cinfo, KP_ERR_NOMEM, "out of memory for a %dx%d image", width, height);
    }
    // Adobe's CMYK JPEGs (Photoshop, and Pillow when it writes CMYK) store inverted samples.
    const int inverted = cinfo.saw_Adobe_marker ? 1 : 0;

    while (cinfo.output_scanline < cinfo.output_height) {
        const size_t y = cinfo.output_scanline;
        JSAMPROW rows[1] = {row};
        if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) {
            kp_jpeg_fail(&cinfo, KP_ERR_DECODE, "decoder returned no scanline at row %zu", y);
        }
        uint8_t *dst = out->rgb + y * (size_t)width * 3;
        const JSAMPLE *src = row;
        if (components == 3) {
            memcpy(dst, src, (size_t)width * 3);
        } else if (components == 1) {
            for (int x = 0; x < width; x++) {
                dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[x];
            }
        } else {
            uint8_t *ink = out->cmyk + y * (size_t)width * 4;
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 4; c++) {
                    ink[4 * x + c] = inverted ? (uint8_t)(255 - src[4 * x + c]) : src[4 * x + c];
                }
                const int nk = 255 - ink[4 * x + 3];
                for (int c = 0; c < 3; c++) {
                    dst[3 * x + c] = kp_clip8(nk - kp_muldiv255(ink[4 * x + c], nk));
                }
            }
        }
    }
    // No jpeg_finish_decompress: all pixels are in, and data after the last scan (or a missing
    // EOI marker) does not change them.
    jpeg_destroy_decompress(&cinfo);
    free(row);
    return KP_OK;
}

// MARK: - JPEG encoding

static void kp_jpeg_silent_message(j_common_ptr cinfo, int msg_level) {
    (void)cinfo;
    (void)msg_level;
}

int kp_encode_jpeg(const uint8_t *pixels, int width, int height, int quality, uint8_t **out,
                   size_t *outlen, char *err, size_t errlen) {
    if (out == NULL || outlen == NULL || pixels == NULL || width <= 0 || height <= 0 ||
        width > 65500 || height > 65500 || quality < 1 || quality > 100) {
        kp_set_error(err, errlen, "kp_encode_jpeg: invalid arguments (%dx%d, quality %d)", width,
                     height, quality);
        return KP_ERR_ARGUMENT;
    }
    *out = NULL;
    *outlen = 0;

    struct jpeg_compress_struct cinfo;
    kp_jpeg_error jerr;
    // jpeg_mem_dest keeps the address of these two and grows the buffer with malloc; they live
    // in memory (their address escaped), so they are current after a longjmp.
    struct {
        unsigned char *data;
        unsigned long len;
    } sink = {NULL, 0};

    memset(&cinfo, 0, sizeof cinfo);
    memset(&jerr, 0, sizeof jerr);
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = kp_jpeg_error_exit;
    jerr.pub.emit_message = kp_jpeg_silent_message;
    jerr.pub.output_message = kp_jpeg_output_message;
    jerr.status = KP_OK;

    if (setjmp(jerr.jump)) {
        kp_set_error(err, errlen, "%s", jerr.message);
        jpeg_destroy_compress(&cinfo);
        free(sink.data);
        return KP_ERR_ENCODE;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &sink.data, &sink.len);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    // 4:4:4 (no chroma subsampling): thin coloured lines and text in figures keep their colour.
    for (int c = 0; c < cinfo.num_components; c++) {
        cinfo.comp_info[c].h_samp_factor = 1;
        cinfo.comp_info[c].v_samp_factor = 1;
    }
    cinfo.optimize_coding = TRUE;
    jpeg_start_compress(&cinfo, TRUE);
    const size_t stride = (size_t)width * 3;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row[1] = {(JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride)};
        jpeg_write_scanlines(&cinfo, row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = sink.data;
    *outlen = (size_t)sink.len;
    return KP_OK;
}

// MARK: - PNG shared

typedef struct {
    char message[256];
    int status;
    kp_image *image;
} kp_png_context;

static void kp_png_error_fn(png_structp png, png_const_charp message) {
    kp_png_context *ctx = (kp_png_context *)png_get_error_ptr(png);
    if (ctx != NULL) {
        snprintf(ctx->message, sizeof ctx->message, "%s", message);
    }
    png_longjmp(png, 1);
}

static void kp_png_warning_fn(png_structp png, png_const_charp message) {
    kp_png_context *ctx = (kp_png_context *)png_get_error_ptr(png);
    if (ctx != NULL) {
        kp_append_warning(ctx->image, message);
    }
}

// MARK: - PNG decoding
//
// Which broken files are decoded follows Pillow 13 (PIL/PngImagePlugin.py `load_read` and
// `load_end`, PIL/ImageFile.py `load`, src/libImaging/ZipDecode.c), which the CLIP reference
// preprocessing opens images with:
// - Pillow feeds its zlib decoder the IDAT chunks' data as far as the file holds it (a chunk whose
//   length runs past the end of the file gives what is left) and stops at the image's last row
//   (all seven passes of an interlaced one). What follows is not needed: the rest of the zlib
//   stream (its end code and Adler-32, unless they came in the same 64 KiB read as the last row),
//   the rest of that chunk, its CRC, IEND. A file cut short or broken there is decoded; here,
//   libpng's error after the last row is a warning (kp_png_read_rows).
// - IDAT CRCs are never checked (a wrong one is a warning here: PNG_CRC_WARN_USE once the chunks
//   before the image data, whose CRCs Pillow does check, are read).
// - A file that ends before the last row (or whose stream is damaged before it) is refused, by
//   Pillow ("image file is truncated", "broken data stream") and here.
// - After the last row, Pillow's load_end walks the chunks to IEND (stopping at a header cut
//   short or a type that is not one) and reads each whole: an IDAT there cut by the end of the
//   file makes it refuse the file ("Truncated File Read"), and here too (kp_png_source
//   `rows_done_at`), whether libpng reads it or not. (Other chunks cut short there are
//   metadata: they never fail the decode, see ExifReader.)
// Deliberate difference (README, "PNG image data"): a complete zlib stream that ends before the
// last row is refused here (Pillow leaves the missing rows black).

/// Pillow's ImageFile.MAXBLOCK: the most IDAT data it hands its decoder at once (never past a
/// chunk's end). libpng reads IDAT data in pieces of this size too, so a wrong Adler-32 is seen
/// with the last row exactly when Pillow sees it.
#define KP_PNG_IDAT_READ_SIZE 65536

/// What kp_png_read_header finds, for the rows phase.
typedef struct {
    png_uint_32 width;
    png_uint_32 height;
    int interlaced;
    /// After the transforms: 3 (RGB) or 4 (RGBA) bytes per pixel; for 16-bit grey (`grey16`),
    /// 1 big-endian 16-bit sample; for palette images (`palette`), 1 index byte.
    int channels;
    /// 16-bit grey, read as 16-bit samples: Pillow opens it as "I;16", whose convert("RGB")
    /// clips each sample to 255 (kp_png_to_rgb).
    int grey16;
    /// Palette image read as indices, looked up in kp_png_to_rgb (`plte`, `trns`), as Pillow's
    /// "P" convert does.
    int palette;
    png_color plte[256];
    int num_plte;
    /// Alpha per palette index from the tRNS chunk (Pillow keeps one longer than the palette,
    /// which libpng drops); indices from `num_trns` on are opaque. `has_trns`: a tRNS was found.
    uint8_t trns[256];
    int num_trns;
    int has_trns;
    /// Grey or RGB tRNS key as Pillow compares it with the converted RGB pixel (convert_transparent:
    /// each channel equal to the key's raw sample; for "1" a nonzero key is 255): `key_active`
    /// when the file has one.
    int key_active;
    unsigned key[3];
} kp_png_layout;

/// Bytes per pixel of the rows libpng delivers for a layout.
static size_t kp_png_pixel_bytes(const kp_png_layout *layout) {
    return (size_t)layout->channels * (layout->grey16 ? 2 : 1);
}

/// Whether libpng has delivered every row: it is then past the last row of the last pass
/// (png_read_finish_row moves the row number to the height, or the pass to 7 when interlaced,
/// before reading what follows the rows).
static int kp_png_rows_complete(png_structp png, const kp_png_layout *layout) {
    return layout->interlaced ? png_get_current_pass_number(png) >= 7
                              : png_get_current_row_number(png) >= layout->height;
}

typedef struct {
    const uint8_t *data;
    size_t len;
    size_t pos;
    /// Offset of an IDAT chunk whose data runs past the end of the file (its length field), or
    /// SIZE_MAX. The field is read as `cut_length`, the data the file holds (Pillow reads that much).
    size_t cut_length_at;
    uint8_t cut_length[4];
    /// Set for the rows phase: the image whose rows are read.
    const kp_png_layout *layout;
    /// `pos` at the first read once every row is read (inside or at the end of the data of the
    /// IDAT chunk holding the last row), or SIZE_MAX.
    size_t rows_done_at;
    /// The data of the last tRNS chunk before the first IDAT (Pillow's chunk_tRNS keeps the last
    /// one read), or NULL; `trns_length` bytes.
    const uint8_t *trns;
    size_t trns_length;
} kp_png_source;

/// Whether 4 bytes are a chunk type as Pillow's `is_cid` has it (letters, digits or '_').
static int kp_png_is_chunk_type(const uint8_t *type) {
    for (int i = 0; i < 4; i++) {
        const uint8_t c = type[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return 1;
}

/// Walks the chunks after the signature to IEND (or a type that is not one) once, before libpng
/// reads the file: sets `cut_length_at` when the file ends inside the data of an IDAT chunk (the
/// last chunk it holds), and `trns` to the last tRNS chunk before the first IDAT. (libpng refuses
/// a chunk type that is not one before the image data, so stopping there loses no tRNS it uses.)
static void kp_png_scan_chunks(kp_png_source *src) {
    src->cut_length_at = SIZE_MAX;
    src->trns = NULL;
    src->trns_length = 0;
    int before_idat = 1;
    size_t pos = 8;
    while (src->len - pos >= 8) {
        const uint8_t *p = src->data + pos;
        const size_t length = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
        const size_t left = src->len - pos - 8;  // after the length and type
        if (memcmp(p + 4, "IEND", 4) == 0 || !kp_png_is_chunk_type(p + 4)) {
            return;  // Pillow's load_end stops there too ("broken PNG file" is not raised after the rows)
        }
        if (memcmp(p + 4, "IDAT", 4) == 0) {
            before_idat = 0;
        } else if (before_idat && memcmp(p + 4, "tRNS", 4) == 0 && length <= left && left - length >= 4) {
            src->trns = p + 8;
            src->trns_length = length;
        }
        if (length > left) {
            if (memcmp(p + 4, "IDAT", 4) == 0) {
                src->cut_length_at = pos;
                // left < len <= 128 MiB (ImagingLimits.fileBytes; at most SIZE_MAX anyway): fits.
                src->cut_length[0] = (uint8_t)(left >> 24);
                src->cut_length[1] = (uint8_t)(left >> 16);
                src->cut_length[2] = (uint8_t)(left >> 8);
                src->cut_length[3] = (uint8_t)left;
            }
            return;
        }
        if (left - length < 4) {
            return;  // its CRC is cut short: the last chunk
        }
        pos += 8 + length + 4;
    }
}

static void kp_png_read_fn(png_structp png, png_bytep dst, png_size_t count) {
    kp_png_source *src = (kp_png_source *)png_get_io_ptr(png);
    if (src->rows_done_at == SIZE_MAX && src->layout != NULL && kp_png_rows_complete(png, src->layout)) {
        src->rows_done_at = src->pos;
    }
    if (count > src->len - src->pos) {
        png_error(png, "unexpected end of data (truncated file?)");
    }
    memcpy(dst, src->data + src->pos, count);
    for (size_t i = 0; src->cut_length_at != SIZE_MAX && i < 4; i++) {
        const size_t at = src->cut_length_at + i;
        if (at >= src->pos && at - src->pos < count) {
            dst[at - src->pos] = src->cut_length[i];
        }
    }
    src->pos += count;
}

/// Phase 1 of kp_decode_png: the chunks up to the image data (CRCs checked, as Pillow checks
/// them), the size limits, the transforms to 8-bit RGB or RGBA. Its own setjmp: the caller has none.
/// - Returns: KP_OK, or the error's status with its message in `ctx`.
static int kp_png_read_header(png_structp png, png_infop info, kp_png_context *ctx, kp_limits limits,
                              kp_image *out, kp_png_layout *layout) {
    if (setjmp(png_jmpbuf(png))) {
        return ctx->status;
    }
    // Our own limits below give a clearer message than libpng's (1,000,000 px by default).
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_benign_errors(png, 1);  // warnings (a release build's default), e.g. after the last row
    png_read_info(png, info);

    png_uint_32 width32 = 0, height32 = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width32, &height32, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (!kp_size_ok(width32, height32, limits)) {
        char message[160];
        snprintf(message, sizeof message,
                 "image is %ux%u, over the limit of %lld px per side or %lld pixels",
                 (unsigned)width32, (unsigned)height32, limits.max_side, limits.max_pixels);
        ctx->status = KP_ERR_TOO_LARGE;
        png_error(png, message);
    }
    const int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    out->bit_depth = bit_depth;
    out->has_trns = has_trns;
    out->progressive = interlace != PNG_INTERLACE_NONE;
    switch (color_type) {
        case PNG_COLOR_TYPE_GRAY:
            out->color_model = bit_depth == 1 ? KP_MODEL_BILEVEL : KP_MODEL_GRAY;
            break;
        case PNG_COLOR_TYPE_GRAY_ALPHA: out->color_model = KP_MODEL_GRAY_ALPHA; break;
        case PNG_COLOR_TYPE_RGB: out->color_model = KP_MODEL_RGB; break;
        case PNG_COLOR_TYPE_RGB_ALPHA: out->color_model = KP_MODEL_RGBA; break;
        case PNG_COLOR_TYPE_PALETTE: out->color_model = KP_MODEL_PALETTE; break;
        default: png_error(png, "unknown PNG colour type");
    }

    // tRNS gives the alpha Pillow's convert("RGBA") gives (kp_png_to_rgb), not libpng's: a
    // palette is looked up here with its whole tRNS (libpng drops one longer than the palette),
    // and a grey or RGB key is compared with the converted pixel (a 2-bit key of 3 matches no
    // pixel scaled to 0, 85, 170, 255; a 16-bit RGB key matches only through the high bytes).
    layout->palette = color_type == PNG_COLOR_TYPE_PALETTE;
    if (layout->palette) {
        png_colorp plte = NULL;
        int num_plte = 0;
        if (png_get_PLTE(png, info, &plte, &num_plte) == 0) {
            png_error(png, "palette image without a PLTE chunk");
        }
        layout->num_plte = num_plte > 256 ? 256 : num_plte;
        memcpy(layout->plte, plte, (size_t)layout->num_plte * sizeof(png_color));
        const kp_png_source *src = (const kp_png_source *)png_get_io_ptr(png);
        if (src->trns != NULL && (has_trns || src->trns_length > (size_t)num_plte)) {
            layout->has_trns = 1;
            layout->num_trns = src->trns_length > 256 ? 256 : (int)src->trns_length;
            memcpy(layout->trns, src->trns, (size_t)layout->num_trns);
            out->has_trns = 1;
        }
        if (bit_depth < 8) {
            png_set_packing(png);  // one index per byte
        }
    } else if (has_trns && (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_RGB)) {
        png_color_16p color = NULL;
        if (png_get_tRNS(png, info, NULL, NULL, &color) != 0 && color != NULL) {
            layout->key_active = 1;
            if (color_type == PNG_COLOR_TYPE_GRAY) {
                const unsigned grey = bit_depth == 1 ? (color->gray != 0 ? 255u : 0u) : color->gray;
                layout->key[0] = layout->key[1] = layout->key[2] = grey;
            } else {
                layout->key[0] = color->red;
                layout->key[1] = color->green;
                layout->key[2] = color->blue;
            }
        }
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);  // scales 1/2/4-bit values to 0...255
    }
    // 16-bit grey stays 16-bit (kp_png_to_rgb clips it as Pillow converts "I;16"); the other
    // 16-bit types keep each sample's high byte, as Pillow's "RGB;16B", "RGBA;16B" and "LA;16B"
    // unpackers do.
    layout->grey16 = color_type == PNG_COLOR_TYPE_GRAY && bit_depth == 16;
    if (bit_depth == 16 && !layout->grey16) {
        png_set_strip_16(png);
    }
    if ((color_type == PNG_COLOR_TYPE_GRAY && !layout->grey16) || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_gray_to_rgb(png);
    }
    // No png_set_gamma, png_set_alpha_mode or png_set_shift: gAMA, cHRM, sRGB, iCCP and sBIT
    // change no sample, as in Pillow's convert.
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    layout->width = width32;
    layout->height = height32;
    layout->interlaced = interlace != PNG_INTERLACE_NONE;
    layout->channels = png_get_channels(png, info);
    const size_t rowbytes = png_get_rowbytes(png, info);
    const int channels_ok = (layout->grey16 || layout->palette) ? layout->channels == 1
                                                                : (layout->channels == 3 || layout->channels == 4);
    if (!channels_ok || rowbytes != (size_t)width32 * kp_png_pixel_bytes(layout)) {
        png_error(png, "unexpected row layout after transforms");
    }
    // From here on libpng reads image data only (the first IDAT's header is read): Pillow checks
    // no CRC there, and reads it in pieces of its MAXBLOCK.
    png_set_crc_action(png, PNG_CRC_WARN_USE, PNG_CRC_NO_CHANGE);
    png_set_compression_buffer_size(png, KP_PNG_IDAT_READ_SIZE);
    return KP_OK;
}

/// Phase 2 of kp_decode_png: the rows. An error once every row is read (libpng then reads on
/// to the end of the zlib stream and the chunk's CRC) is a warning, as Pillow never reads there;
/// one before says how far the rows got. Its own setjmp: the caller has none.
/// - Returns: KP_OK, or the error's status with its message in `ctx`.
static int kp_png_read_rows(png_structp png, kp_png_context *ctx, png_bytep *rows, const kp_png_layout *layout) {
    if (setjmp(png_jmpbuf(png))) {
        char note[sizeof ctx->message + 96];
        if (kp_png_rows_complete(png, layout)) {
            snprintf(note, sizeof note, "PNG broken after its last row: %s (ignored, as in Pillow 13: every row is read)",
                     ctx->message);
            kp_append_warning(ctx->image, note);
            return KP_OK;
        }
        if (layout->interlaced) {
            snprintf(note, sizeof note, "%s in Adam7 pass %d of 7", ctx->message,
                     png_get_current_pass_number(png) + 1);
        } else {
            snprintf(note, sizeof note, "%s after %u of %u rows", ctx->message,
                     (unsigned)png_get_current_row_number(png), (unsigned)layout->height);
        }
        snprintf(ctx->message, sizeof ctx->message, "%s", note);
        return ctx->status;
    }
    png_read_image(png, rows);
    return KP_OK;
}

/// Splits the rows libpng delivered into `out`'s RGB and alpha planes (allocated here).
/// 16-bit grey becomes min(sample, 255), as Pillow's convert("RGB") of "I;16" gives it
/// (src/libImaging/Convert.c `I16_RGB`: 300 -> 255, not the high byte 1); its samples are also
/// kept whole in `out->grey16` (allocated here), which the CLIP canvas resizes before clipping,
/// as Pillow resizes "I;16". Palette indices are looked up (an index past the palette is black).
/// The alpha of a tRNS chunk is Pillow's convert("RGBA") alpha: a palette index's tRNS entry
/// (opaque past its end); 0 where a grey or RGB pixel, as converted, equals the key, else 255.
/// - Returns: KP_OK, or KP_ERR_NOMEM.
static int kp_png_to_rgb(const uint8_t *pixels, const kp_png_layout *layout, kp_image *out) {
    const size_t npix = (size_t)layout->width * (size_t)layout->height;
    const int has_alpha = layout->has_trns || layout->key_active || (!layout->grey16 && layout->channels == 4);
    out->rgb = (uint8_t *)malloc(npix * 3);
    out->alpha = has_alpha ? (uint8_t *)malloc(npix) : NULL;
    out->grey16 = layout->grey16 ? (uint16_t *)malloc(npix * sizeof(uint16_t)) : NULL;
    if (out->rgb == NULL || (has_alpha && out->alpha == NULL) || (layout->grey16 && out->grey16 == NULL)) {
        return KP_ERR_NOMEM;
    }
    const size_t stride = kp_png_pixel_bytes(layout);
    for (size_t i = 0; i < npix; i++) {
        const uint8_t *p = pixels + i * stride;
        uint8_t *rgb = out->rgb + 3 * i;
        if (layout->grey16) {
            const unsigned sample = ((unsigned)p[0] << 8) | p[1];
            out->grey16[i] = (uint16_t)sample;
            rgb[0] = rgb[1] = rgb[2] = (uint8_t)(sample > 255 ? 255 : sample);
        } else if (layout->palette) {
            const int index = p[0];
            const png_color entry = index < layout->num_plte ? layout->plte[index] : (png_color){0, 0, 0};
            rgb[0] = entry.red;
            rgb[1] = entry.green;
            rgb[2] = entry.blue;
            if (has_alpha) {
                out->alpha[i] = index < layout->num_trns ? layout->trns[index] : 255;
            }
        } else {
            rgb[0] = p[0];
            rgb[1] = p[1];
            rgb[2] = p[2];
            if (layout->channels == 4) {
                out->alpha[i] = p[3];
            }
        }
        if (layout->key_active) {
            const int match = rgb[0] == layout->key[0] && rgb[1] == layout->key[1] && rgb[2] == layout->key[2];
            out->alpha[i] = match ? 0 : 255;
        }
    }
    return KP_OK;
}

int kp_decode_png(const uint8_t *data, size_t len, kp_limits limits, kp_image *out, char *err, size_t errlen) {
    if (out == NULL) {
        kp_set_error(err, errlen, "kp_decode_png: no output struct");
        return KP_ERR_ARGUMENT;
    }
    memset(out, 0, sizeof *out);
    if (data == NULL || len < 8 || png_sig_cmp(data, 0, 8) != 0) {
        kp_set_error(err, errlen, "not a PNG signature");
        return KP_ERR_DECODE;
    }

    kp_png_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.status = KP_ERR_DECODE;
    ctx.image = out;
    kp_png_source source = {data, len, 0, SIZE_MAX, {0, 0, 0, 0}, NULL, SIZE_MAX, NULL, 0};
    kp_png_scan_chunks(&source);

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, kp_png_error_fn,
                                             kp_png_warning_fn);
    if (png == NULL) {
        kp_set_error(err, errlen, "png_create_read_struct failed");
        return KP_ERR_NOMEM;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        kp_set_error(err, errlen, "png_create_info_struct failed");
        return KP_ERR_NOMEM;
    }
    png_set_read_fn(png, &source, kp_png_read_fn);

    // The phases hold the setjmp; no libpng call that may fail is made here (their jmp_buf is
    // gone once they return).
    kp_png_layout layout;
    memset(&layout, 0, sizeof layout);
    uint8_t *pixels = NULL;
    png_bytep *rows = NULL;
    int status = kp_png_read_header(png, info, &ctx, limits, out, &layout);
    const size_t npix = (size_t)layout.width * (size_t)layout.height;
    const size_t rowbytes = (size_t)layout.width * kp_png_pixel_bytes(&layout);
    if (status == KP_OK) {
        pixels = (uint8_t *)malloc(npix * kp_png_pixel_bytes(&layout));
        rows = (png_bytep *)malloc((size_t)layout.height * sizeof(png_bytep));
        if (pixels == NULL || rows == NULL) {
            status = KP_ERR_NOMEM;
            snprintf(ctx.message, sizeof ctx.message, "out of memory");
        } else {
            for (png_uint_32 y = 0; y < layout.height; y++) {
                rows[y] = pixels + (size_t)y * rowbytes;
            }
            source.layout = &layout;
            status = kp_png_read_rows(png, &ctx, rows, &layout);
            // No png_read_end: chunks after the image data do not change the pixels.
        }
    }
    // An IDAT after the one holding the last row, cut by the end of the file (read by libpng or
    // not): Pillow's load_end reads it whole and refuses the file.
    if (status == KP_OK && source.cut_length_at != SIZE_MAX && source.cut_length_at >= source.rows_done_at) {
        status = KP_ERR_DECODE;
        snprintf(ctx.message, sizeof ctx.message,
                 "an IDAT chunk after the last row (at byte %zu) runs past the end of the file "
                 "(Pillow 13 refuses the file: Truncated File Read)",
                 source.cut_length_at);
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);

    if (status == KP_OK) {
        out->width = (int)layout.width;
        out->height = (int)layout.height;
        if (layout.channels == 3 && !layout.grey16 && !layout.palette && !layout.key_active) {
            out->rgb = pixels;
            pixels = NULL;
        } else if (kp_png_to_rgb(pixels, &layout, out) != KP_OK) {
            status = KP_ERR_NOMEM;
            snprintf(ctx.message, sizeof ctx.message, "out of memory");
        }
    }
    free(pixels);
    if (status != KP_OK) {
        kp_set_error(err, errlen, "%s", ctx.message);
        kp_image_free(out);
    }
    return status;
}

// MARK: - PNG encoding

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} kp_png_sink;

static void kp_png_write_fn(png_structp png, png_bytep src, png_size_t count) {
    kp_png_sink *sink = (kp_png_sink *)png_get_io_ptr(png);
    if (count > sink->cap - sink->len) {
        size_t cap = sink->cap > 0 ? sink->cap : 4096;
        while (count > cap - sink->len) {
            if (cap > ((size_t)-1) / 2) {
                png_error(png, "PNG output too large");
            }
            cap *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(sink->data, cap);
        if (grown == NULL) {
            png_error(png, "out of memory for PNG output");
        }
        sink->data = grown;
        sink->cap = cap;
    }
    memcpy(sink->data + sink->len, src, count);
    sink->len += count;
}

static void kp_png_flush_fn(png_structp png) { (void)png; }

int kp_encode_png(const uint8_t *pixels, int width, int height, int channels, uint8_t **out,
                  size_t *outlen, char *err, size_t errlen) {
    if (out == NULL || outlen == NULL || pixels == NULL || (channels != 3 && channels != 4) ||
        width <= 0 || height <= 0) {
        kp_set_error(err, errlen, "kp_encode_png: invalid arguments (%dx%d, %d channels)", width,
                     height, channels);
        return KP_ERR_ARGUMENT;
    }
    *out = NULL;
    *outlen = 0;
    // No size limit here: the pixels are already in memory (libpng refuses what PNG cannot hold).

    kp_png_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.status = KP_ERR_ENCODE;
    kp_png_sink sink = {NULL, 0, 0};

    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, kp_png_error_fn,
                                              kp_png_warning_fn);
    if (png == NULL) {
        kp_set_error(err, errlen, "png_create_write_struct failed");
        return KP_ERR_NOMEM;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        kp_set_error(err, errlen, "png_create_info_struct failed");
        return KP_ERR_NOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        kp_set_error(err, errlen, "%s", ctx.message);
        png_destroy_write_struct(&png, &info);
        free(sink.data);  // sink lives in memory (its address escaped), so it is current here
        return ctx.status;
    }
    png_set_write_fn(png, &sink, kp_png_write_fn, kp_png_flush_fn);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const size_t stride = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++) {
        png_write_row(png, pixels + (size_t)y * stride);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = sink.data;
    *outlen = sink.len;
    return KP_OK;
}
