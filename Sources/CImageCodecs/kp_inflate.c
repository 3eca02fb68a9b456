// kp_inflate.c: see include/kp_inflate.h.

#include "kp_inflate.h"

#include <limits.h>
#include <string.h>

#include <zlib.h>

int kp_inflate_zlib(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len) {
    *out_len = 0;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK) {
        return KP_INFLATE_ERROR;
    }
    size_t in_left = in_len;
    size_t out_left = out_cap;
    zs.next_in = (Bytef *)in;
    zs.next_out = out;
    int status;
    for (;;) {
        // zlib counts in uInt: feed and drain at most UINT_MAX bytes per call.
        uInt avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
        uInt avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
        zs.avail_in = avail_in;
        zs.avail_out = avail_out;
        int rc = inflate(&zs, Z_SYNC_FLUSH);
        in_left -= avail_in - zs.avail_in;
        out_left -= avail_out - zs.avail_out;
        if (rc == Z_STREAM_END) {
            status = KP_INFLATE_END;
            break;
        }
        // Z_BUF_ERROR: no progress possible (input used up); anything else but Z_OK is an error,
        // Z_NEED_DICT included (Python has no dictionary to give: "Error 2").
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            status = KP_INFLATE_ERROR;
            break;
        }
        if (out_left == 0) {
            status = in_left > 0 ? KP_INFLATE_LIMIT : KP_INFLATE_PARTIAL;
            break;
        }
        if (in_left == 0 || rc == Z_BUF_ERROR) {
            status = KP_INFLATE_PARTIAL;
            break;
        }
    }
    *out_len = out_cap - out_left;
    inflateEnd(&zs);
    return status;
}

uint32_t kp_crc32(uint32_t crc, const uint8_t *data, size_t len) {
    uLong value = crc;
    while (len > 0) {
        // zlib takes at most UINT_MAX bytes a call.
        uInt chunk = len > UINT_MAX ? UINT_MAX : (uInt)len;
        value = crc32(value, data, chunk);
        data += chunk;
        len -= chunk;
    }
    return (uint32_t)value;
}
