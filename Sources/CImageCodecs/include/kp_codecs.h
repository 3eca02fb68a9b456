// kp_codecs: a small C shim over libjpeg(-turbo) and libpng.
//
// libjpeg and libpng report fatal errors through longjmp (libjpeg's default even calls exit()).
// That cannot be expressed in Swift, so every entry point here installs its own setjmp handler,
// returns a status code, and writes a human-readable message into a caller-provided buffer.
// No function in this file calls exit() or prints to stderr.
//
// Ownership: buffers in kp_image and from kp_encode_png / kp_encode_jpeg are malloc'ed here and
// released with kp_image_free / kp_buffer_free.

#ifndef KP_CODECS_H
#define KP_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Size limits of one decode, checked against the header before any pixel allocation. The
/// values live in Swift (Imaging's ImagingLimits); C only applies them.
typedef struct {
    long long max_side;    ///< largest accepted width or height, pixels
    long long max_pixels;  ///< largest accepted width * height
    /// Nonzero: the first sign of damaged JPEG scan data ends decoding with KP_ERR_DAMAGED instead
    /// of decoding the rest as grey (a caller that refuses damaged images need not pay for a
    /// 166-byte file that claims 46 megapixels).
    int stop_at_damage;
} kp_limits;
/// Capacity of kp_image.warnings, including the terminating NUL.
#define KP_WARNINGS_CAPACITY 512

/// Status codes returned by the kp_* functions.
typedef enum {
    KP_OK = 0,
    KP_ERR_DECODE = 1,       ///< corrupt or truncated data; the message says what the library saw
    KP_ERR_TOO_LARGE = 2,    ///< width/height exceed kp_limits
    KP_ERR_UNSUPPORTED = 3,  ///< valid file of a kind this shim does not convert (e.g. 2-channel JPEG)
    KP_ERR_NOMEM = 4,        ///< allocation failed
    KP_ERR_ARGUMENT = 5,     ///< caller passed an invalid argument (programmer error)
    KP_ERR_ENCODE = 6,       ///< libpng or libjpeg failed while writing
    KP_ERR_DAMAGED = 7       ///< damaged scan data with kp_limits.stop_at_damage set; the message is libjpeg's
} kp_status;

/// Colour model of the source file, close to the Pillow mode Image.open would give.
typedef enum {
    KP_MODEL_GRAY = 0,        ///< JPEG 1 component, PNG grey 2..16 bit (Pillow "L" / "I;16")
    KP_MODEL_GRAY_ALPHA = 1,  ///< PNG grey + alpha (Pillow "LA", or "RGBA" for 16 bit)
    KP_MODEL_RGB = 2,         ///< JPEG 3 components, PNG truecolour (Pillow "RGB")
    KP_MODEL_RGBA = 3,        ///< PNG truecolour + alpha (Pillow "RGBA")
    KP_MODEL_PALETTE = 4,     ///< PNG indexed colour (Pillow "P")
    KP_MODEL_BILEVEL = 5,     ///< PNG 1-bit grey (Pillow "1")
    KP_MODEL_CMYK = 6         ///< JPEG 4 components, CMYK or YCCK (Pillow "CMYK")
} kp_color_model;

/// A decoded image: always 8-bit RGB, plus an alpha plane when the file carries transparency.
typedef struct {
    int width;
    int height;
    /// height * width * 3 bytes, rows top to bottom, R G B interleaved.
    uint8_t *rgb;
    /// height * width bytes (255 = opaque), or NULL when the file has no alpha channel and no tRNS.
    uint8_t *alpha;
    /// height * width * 4 bytes of C M Y K ink (0 = no ink, Adobe inversion undone), JPEG CMYK only,
    /// else NULL. Pillow resamples CMYK images in this space before converting to RGB.
    uint8_t *cmyk;
    /// height * width 16-bit samples (native byte order), 16-bit grey PNG only (Pillow "I;16"),
    /// else NULL. OpenAI CLIP resizes these before convert("RGB") clips them into `rgb`.
    uint16_t *grey16;
    /// One of kp_color_model.
    int color_model;
    /// Bits per sample in the file (1, 2, 4, 8 or 16).
    int bit_depth;
    /// 1 when a PNG tRNS chunk supplied the alpha plane.
    int has_trns;
    /// 1 for progressive JPEG or interlaced (Adam7) PNG.
    int progressive;
    /// 1 when libjpeg reported corrupt entropy-coded data (a marker or bad Huffman code inside
    /// a scan, lost sync, a bogus progression, the file ending inside the scans): it then goes on with grey or stale pixels, so the
    /// image is damaged even though decoding "succeeded". The warnings say what was seen.
    int damaged;
    /// Non-fatal library warnings, newline separated, NUL terminated (may be truncated).
    char warnings[KP_WARNINGS_CAPACITY];
} kp_image;

/// Decodes a baseline or progressive JPEG to 8-bit RGB.
/// Greyscale is expanded to RGB; CMYK and YCCK are converted with Pillow's formula
/// (R = 255 - K - C * (255 - K) / 255, rounded like Pillow's MULDIV255). Input cut short inside
/// the header is an error; cut short inside the scan data it is damage (`damaged` set, the rest
/// grey as libjpeg fills it, or KP_ERR_DAMAGED with kp_limits.stop_at_damage).
/// - Returns: KP_OK and a filled `out` (free with kp_image_free), or an error code with `out`
///   zeroed and a message in `err`.
int kp_decode_jpeg(const uint8_t *data, size_t len, kp_limits limits, kp_image *out, char *err, size_t errlen);

/// Decodes a PNG of any colour type and bit depth to 8-bit RGB plus an optional alpha plane.
/// The RGB is what Pillow 13's `Image.open(f).convert("RGB")` gives: 16-bit RGB, RGBA and grey +
/// alpha keep each sample's high byte; 16-bit grey (Pillow "I;16") is clipped to 255 (300 -> 255)
/// and its samples are also kept whole in `grey16`;
/// 1/2/4-bit grey is scaled to 0...255; palette entries are looked up (an index past the end of
/// the palette is black); gAMA, cHRM, sRGB, iCCP and sBIT are not applied. A tRNS chunk gives
/// the alpha plane of Pillow's `convert("RGBA")`: a palette index's entry (opaque past its end;
/// kept when longer than the palette), or 0 where a grey or RGB pixel, as converted, equals the
/// key's raw samples.
/// Broken files are read as Pillow 13 reads them (kp_codecs.c, "PNG decoding"): once every row is
/// read, what follows (the rest of the zlib stream and of its IDAT chunk, the CRC, IEND) may be
/// cut short or broken (a warning says what libpng saw); IDAT CRCs are not checked (a wrong one is
/// a warning); a file that ends before the last row, or a further IDAT after it cut by the end
/// of the file, is an error (the first saying how far the rows got).
int kp_decode_png(const uint8_t *data, size_t len, kp_limits limits, kp_image *out, char *err, size_t errlen);

/// Releases the buffers of an image filled by kp_decode_*; safe on a zeroed struct.
void kp_image_free(kp_image *image);

/// Encodes 8-bit pixels (channels = 3 for RGB, 4 for RGBA; rows top to bottom, interleaved)
/// as a PNG in memory.
/// - Returns: KP_OK with `*out`/`*outlen` set (free with kp_buffer_free), or an error code.
int kp_encode_png(const uint8_t *pixels, int width, int height, int channels,
                  uint8_t **out, size_t *outlen, char *err, size_t errlen);

/// Encodes 8-bit RGB pixels (rows top to bottom, interleaved) as a baseline JPEG in memory, at
/// `quality` 1...100 (libjpeg's scale), without chroma subsampling (4:4:4) and with optimised
/// Huffman tables.
/// - Returns: KP_OK with `*out`/`*outlen` set (free with kp_buffer_free), or an error code.
int kp_encode_jpeg(const uint8_t *pixels, int width, int height, int quality,
                   uint8_t **out, size_t *outlen, char *err, size_t errlen);

/// Releases a buffer returned by kp_encode_png or kp_encode_jpeg.
void kp_buffer_free(uint8_t *buffer);

#ifdef __cplusplus
}
#endif

#endif  // KP_CODECS_H
