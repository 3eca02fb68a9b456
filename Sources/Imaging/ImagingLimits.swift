/// Upper bounds on image files and decoded images, checked before anything is allocated from
/// them (the decoder checks the header's size before any pixel buffer). Errors name the limit.
public enum ImagingLimits {
    /// Bytes of one image file, checked with fstat before reading. 128 MiB holds a 50 Mpx photo
    /// as a high-quality JPEG (~25 MB) or as a PNG (up to ~150 MB only for noise-like content).
    public static let fileBytes = 128 << 20
    /// Pixels of one decoded image: 50 Mpx, the largest common camera sensors (e.g. 8688 x 5792).
    /// Why not more: one 50 Mpx photo already peaks at 335 MB resident in `localize` (6 bytes per
    /// pixel: the decoder's RGB buffer and its Swift copy, plus the model) and takes seconds of
    /// CPU on the 2-core machines this runs on; the previous 200 Mpx limit let a 1 KB file with a
    /// lying header allocate 1.2 GB per image.
    public static let pixels = 50_000_000
    /// Pixels per side (panoramas up to 30000 x 1666 still pass the pixel limit).
    public static let side = 30_000
    /// Bytes one compressed PNG text chunk (zTXt, compressed iTXt) may inflate to when
    /// `ExifReader` reads it: Pillow 13's `PngImagePlugin.MAX_TEXT_CHUNK` (1 MiB), past which
    /// Pillow refuses the file ("Decompressed data too large").
    public static let textChunkBytes = 1 << 20
    /// Text `ExifReader` reads from one PNG in all, of every key (tEXt values and what zTXt
    /// chunks inflate to in bytes, iTXt text in characters, as Pillow counts them): Pillow 13's
    /// `MAX_TEXT_MEMORY` (64 MiB), past which Pillow refuses the file.
    /// Bounds the inflation work of a file made of many small compressed chunks.
    public static let textBytesTotal = 64 << 20
}
