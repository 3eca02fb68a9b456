import ArgumentParser
import Imaging

/// `--exif-transpose`, shared by the commands that read photos (localize, embed, saliency).
///
/// By default a photo is used as stored, whatever its EXIF Orientation tag says, exactly as the
/// CLIP reference pipeline (Pillow's `Image.open`) sees it; a photo whose tag is not upright gets
/// one warning. With the flag it is turned upright first (`DecodedImage.displayedUpright`, as
/// Pillow's `ImageOps.exif_transpose`), so everything the command computes is in the frame a
/// viewer shows.
struct ExifOptions: ParsableArguments {
    @Flag(
        name: .customLong("exif-transpose"),
        help:
            "Turn each photo upright as its EXIF Orientation tag says (Pillow's ImageOps.exif_transpose) before anything else, so results are in the displayed frame; by default photos are used as stored (as the CLIP reference reads them), with a warning for a rotated or mirrored one."
    )
    var exifTranspose = false

    /// A photo as the command uses it.
    struct Photo {
        let image: DecodedImage
        /// The orientation applied (`--exif-transpose` on a photo tagged 2...8), else nil.
        let applied: ExifOrientation?
        /// Where `applied` was found (EXIF tag, PNG raw profile or XMP); nil when none was.
        let appliedSource: ExifReader.Reading.Source?
    }

    /// `decoded` turned upright with `--exif-transpose`, else as stored.
    /// - Parameters:
    ///   - path: how warnings name the photo.
    ///   - storedFrame: what keeping the stored pixels means for this command's results, e.g.
    ///     "keypoints are in the stored pixel frame".
    ///   - warn: print the warnings (once per photo: false when the photo was decoded before).
    func photo(_ decoded: DecodedImage, path: String, storedFrame: String, warn: Bool = true) -> Photo {
        if warn { warnings(decoded, path: path, storedFrame: storedFrame) }
        guard let applied = orientationToApply(decoded) else {
            return Photo(image: decoded, applied: nil, appliedSource: nil)
        }
        return Photo(image: decoded.displayedUpright(), applied: applied, appliedSource: decoded.exifOrientationSource)
    }

    /// The size `photo(decoded, ...)` has, without turning its pixels; prints its warnings.
    func size(_ decoded: DecodedImage, path: String, storedFrame: String) -> (width: Int, height: Int) {
        warnings(decoded, path: path, storedFrame: storedFrame)
        let size = (width: decoded.width, height: decoded.height)
        return orientationToApply(decoded)?.displayedSize(width: size.width, height: size.height) ?? size
    }

    /// The orientation `--exif-transpose` applies to `decoded` (a tag of 2...8), else nil.
    private func orientationToApply(_ decoded: DecodedImage) -> ExifOrientation? {
        guard exifTranspose else { return nil }
        return decoded.exifOrientation.flatMap { $0 == .upright ? nil : $0 }
    }

    /// A malformed EXIF block's note, and without `--exif-transpose` a rotated or mirrored tag's.
    private func warnings(_ decoded: DecodedImage, path: String, storedFrame: String) {
        if let message = decoded.exifUnreadableMessage { Console.warning("\(path): \(message)") }
        if !exifTranspose, let message = decoded.exifIgnoredMessage("\(storedFrame); --exif-transpose applies it") {
            Console.warning("\(path): \(message)")
        }
    }
}
