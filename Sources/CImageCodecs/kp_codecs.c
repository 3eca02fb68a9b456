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

typedef struct {
    const uint8_t *data;
    size_t len;
    size_t pos;
} kp_png_source;

static void kp_png_read_fn(png_structp png, png_bytep dst, png_size_t count) {
    kp_png_source *src = (kp_png_source *)png_get_io_ptr(png);
    if (count > src->len - src->pos) {
        png_error(png, "unexpected end of data (truncated file?)");
    }
    memcpy(dst, src->data + src->pos, count);
    src->pos += count;
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
    kp_png_source source = {data, len, 0};

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
    // Assigned after setjmp, so volatile (their values must survive the longjmp).
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;

    if (setjmp(png_jmpbuf(png))) {
        kp_set_error(err, errlen, "%s", ctx.message);
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        kp_image_free(out);
        return ctx.status;
    }

    png_set_read_fn(png, &source, kp_png_read_fn);
    // Our own limits below give a clearer message than libpng's (1,000,000 px by default).
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);

    png_uint_32 width32 = 0, height32 = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width32, &height32, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (!kp_size_ok(width32, height32, limits)) {
        char message[160];
        snprintf(message, sizeof message,
                 "image is %ux%u, over the limit of %lld px per side or %lld pixels",
                 (unsigned)width32, (unsigned)height32, limits.max_side, limits.max_pixels);
        ctx.status = KP_ERR_TOO_LARGE;
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

    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);  // scales 1/2/4-bit values to 0...255
    }
    if (has_trns) {
        png_set_tRNS_to_alpha(png);
    }
    if (bit_depth == 16) {
        png_set_strip_16(png);  // keep the high byte, as Pillow's "RGB;16B" unpacker does
    }
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_gray_to_rgb(png);
    }
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    const int width = (int)width32;
    const int height = (int)height32;
    const int channels = png_get_channels(png, info);
    const size_t rowbytes = png_get_rowbytes(png, info);
    if ((channels != 3 && channels != 4) || rowbytes != (size_t)width * (size_t)channels) {
        png_error(png, "unexpected row layout after transforms");
    }
    const size_t npix = (size_t)width * (size_t)height;
    pixels = (uint8_t *)malloc(npix * (size_t)channels);
    rows = (png_bytep *)malloc((size_t)height * sizeof(png_bytep));
    if (pixels == NULL || rows == NULL) {
        ctx.status = KP_ERR_NOMEM;
        png_error(png, "out of memory");
    }
    for (int y = 0; y < height; y++) {
        rows[y] = pixels + (size_t)y * rowbytes;
    }
    png_read_image(png, rows);
    // No png_read_end: chunks after the image data do not change the pixels.

    out->width = width;
    out->height = height;
    if (channels == 3) {
        out->rgb = pixels;
        pixels = NULL;
    } else {
        out->rgb = (uint8_t *)malloc(npix * 3);
        out->alpha = (uint8_t *)malloc(npix);
        if (out->rgb == NULL || out->alpha == NULL) {
            ctx.status = KP_ERR_NOMEM;
            png_error(png, "out of memory");
        }
        for (size_t i = 0; i < npix; i++) {
            out->rgb[3 * i + 0] = pixels[4 * i + 0];
            out->rgb[3 * i + 1] = pixels[4 * i + 1];
            out->rgb[3 * i + 2] = pixels[4 * i + 2];
            out->alpha[i] = pixels[4 * i + 3];
        }
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(pixels);
    free(rows);
    return KP_OK;
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
