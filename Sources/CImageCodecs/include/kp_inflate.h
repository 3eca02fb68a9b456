// kp_inflate: zlib inflation of PNG text chunks (zTXt, compressed iTXt) for ExifReader, with the
// outcomes Python's zlib.decompressobj().decompress(data, max_length) gives (Pillow's
// PngImagePlugin._safe_zlib_decompress), so the Swift side can follow Pillow exactly; and zlib's
// CRC-32, with which Pillow checks the chunks before a PNG's image data.

#ifndef KP_INFLATE_H
#define KP_INFLATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcomes of kp_inflate_zlib.
typedef enum {
    KP_INFLATE_END = 0,      ///< the stream ended (bytes after it are ignored, as Python keeps them apart)
    KP_INFLATE_PARTIAL = 1,  ///< the input ran out before the stream's end: what it gave (Python: no error)
    KP_INFLATE_LIMIT = 2,    ///< `out_cap` bytes written with input left over (Python: unconsumed_tail,
                             ///< Pillow's "Decompressed data too large")
    KP_INFLATE_ERROR = 3     ///< invalid data, a preset dictionary, or no memory (Python: zlib.error)
} kp_inflate_status;

/// Inflates the zlib stream (RFC 1950 header and Adler-32 trailer, 15-bit window) in
/// `in[0..<in_len]` into `out[0..<out_cap]`, writing at most `out_cap` bytes; `*out_len` is the
/// count written (also on error, though then meaningless).
int kp_inflate_zlib(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

/// zlib's CRC-32 (the PNG chunk checksum) of `data[0..<len]`, continuing from `crc` (0 to start),
/// as Python's `zlib.crc32(data, crc)` (Pillow's `_crc32`).
uint32_t kp_crc32(uint32_t crc, const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif  // KP_INFLATE_H
