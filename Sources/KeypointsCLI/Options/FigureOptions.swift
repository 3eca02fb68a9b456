import ArgumentParser
import Foundation
import Imaging

/// How large figures are (--figure-max-side): shared by `localize` (heatmaps, overlays,
/// montages) and `eval --visualize`. Not part of any run's identity: figures are not results.
struct FigureSizeOptions: ParsableArguments {
    /// Default of --figure-max-side: a full-width print figure at 300 dpi (17 cm) is about 2000
    /// pixels, so larger photos gain nothing in a paper and only make files heavier.
    static let defaultMaxSide = 2048
    /// Smallest --figure-max-side: below it titles and colour bars no longer fit.
    static let minimumMaxSide = 64

    @Option(
        name: .customLong("figure-max-side"),
        help: ArgumentHelp(
            "Figures show the photo at its own resolution, downscaled to at most this longer side; "
                + "never upscaled (localize: a montage's panels share it).",
            valueName: "px"))
    var figureMaxSide = FigureSizeOptions.defaultMaxSide

    func validate() throws {
        guard figureMaxSide >= Self.minimumMaxSide, figureMaxSide <= ImagingLimits.side else {
            throw ValidationError(
                "--figure-max-side must be \(Self.minimumMaxSide)...\(ImagingLimits.side) pixels, got \(figureMaxSide)")
        }
    }
}

/// Where `localize` writes its figures (--heatmap, --overlay, --montage) and how large they are.
struct FigureOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Heatmaps: a folder (one PNG per image and keypoint) or a file name with {keypoint} "
                + "(several keypoints) and {name} (several images; the image's stem), e.g. out/{name}_{keypoint}.jpg.",
            valueName: "dir|file"))
    var heatmap: String?
    @Option(
        help: ArgumentHelp(
            "The photo with every prediction: a .png/.jpg file (with {name} for several images) "
                + "or a folder (one <image>_overlay.png per image).",
            valueName: "file|dir"))
    var overlay: String?
    @Option(
        help: ArgumentHelp(
            "All keypoints' heatmaps of an image in one figure: a .png/.jpg file (with {name} for several images).",
            valueName: "file"))
    var montage: String?
    @OptionGroup var size: FigureSizeOptions
    @Flag(
        name: .customLong("common-scale"),
        help: "One colour scale for all keypoints of an image (heatmaps, montage): the same colour is the same score.")
    var commonScale = false

    /// --figure-max-side.
    var figureMaxSide: Int { size.figureMaxSide }

    /// The parsed output paths, checked against the images and keypoints (before any compute).
    /// - Parameters:
    ///   - images: the photos' paths.
    ///   - keypointSlugs: what `{keypoint}` becomes for each keypoint (`LocalizeCommand.fileSlugs`).
    func destinations(images: [String], keypointSlugs: [String]) throws -> FigureDestinations {
        let names = images.map(FigureDestinations.name(ofImage:))
        return FigureDestinations(
            heatmap: try heatmap.map {
                try FigurePath(option: "--heatmap", value: $0, names: names, keypoints: keypointSlugs)
            },
            overlay: try overlay.map {
                try FigurePath(option: "--overlay", value: $0, names: names)
            },
            montage: try montage.map {
                try FigurePath(option: "--montage", value: $0, names: names, allowsFolder: false)
            })
    }
}

/// The checked figure destinations of one `localize` run.
struct FigureDestinations {
    var heatmap: FigurePath?
    var overlay: FigurePath?
    var montage: FigurePath?

    /// What `{name}` becomes for an image: its file name without the extension, as a slug.
    static func name(ofImage path: String) -> String {
        let stem = DataFiles.slug(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
        return stem.isEmpty ? "image" : stem
    }
}

/// One figure option's value: a folder (PNG files named by the command) or a file name whose
/// extension names the format, with `{name}` (the image's stem) and, for heatmaps, `{keypoint}`
/// placeholders.
struct FigurePath {
    static let namePlaceholder = "{name}"
    static let keypointPlaceholder = "{keypoint}"

    enum Kind: Equatable {
        case folder
        case file(FigureFormat)
    }

    let option: String
    let value: String
    let kind: Kind

    /// Checks `value` for `names` (one per image, `FigureDestinations.name(ofImage:)`) and, for
    /// a figure per keypoint, `keypoints` (their file slugs), before any compute: a known format,
    /// the placeholders several images (`{name}`) or several keypoints (`{keypoint}`) need, one
    /// distinct file per figure, writable places.
    init(option: String, value: String, names: [String], keypoints: [String]? = nil, allowsFolder: Bool = true) throws {
        self.option = option
        self.value = value
        let perKeypoint = keypoints != nil
        let hasName = value.contains(Self.namePlaceholder)
        let hasKeypoint = value.contains(Self.keypointPlaceholder)
        let ext = URL(fileURLWithPath: value).pathExtension
        let format = FigureFormat(path: value)
        let several = names.count > 1
        let keypointCount = keypoints?.count ?? 0
        let example = perKeypoint ? "out/{name}_{keypoint}.png" : "out/{name}_\(option.dropFirst(2)).png"
        // A value without a figure extension or placeholders names a folder (an existing file
        // given as one is refused by the folder check, naming it).
        let exists = FileManager.default.fileExists(atPath: DataFiles.fileURL(value).path)
        if format == nil && !hasName && !hasKeypoint && allowsFolder && (ext.isEmpty || value.hasSuffix("/") || exists)
        {
            kind = .folder
            try OutputPath.checkFolder(value, option: option)
            return
        }
        guard let format else {
            let what = ext.isEmpty ? "has no extension" : "ends in .\(ext)"
            throw CLIError(
                "\(option) \(value): \(what); figures are written as \(FigureFormat.accepted), chosen by the extension")
        }
        if !perKeypoint && hasKeypoint {
            throw CLIError(
                "\(option) \(value): {keypoint} names a file per keypoint, but \(option) writes one figure per "
                    + "image with every keypoint; use {name} (several images) or a plain file name")
        }
        if keypointCount > 1 && !hasKeypoint {
            throw CLIError(
                "\(option) \(value): \(keypointCount) keypoints need a folder or {keypoint} (the keypoint's name) in the "
                    + "file name, one file per keypoint; e.g. \(option) \(example)")
        }
        if several && !hasName {
            let folder = allowsFolder ? "a folder or " : ""
            throw CLIError(
                "\(option) \(value): \(names.count) images need \(folder){name} (the image's file name) in the path, "
                    + "one file per image; e.g. \(option) \(example)")
        }
        kind = .file(format)
        // Every figure's file, with the image and keypoint that write it: distinct, or refused.
        let slugs: [String?] = keypoints ?? [nil]
        var seen: [String: (image: Int, keypoint: String?)] = [:]
        for (i, name) in names.enumerated() {
            for keypoint in slugs {
                let path = fileURL(name: name, keypoint: keypoint).path
                if let first = seen[path] {
                    throw CLIError(
                        "\(option) \(value): "
                            + Self.collision(first, (i, keypoint), keypointCount: keypointCount, path: path))
                }
                seen[path] = (i, keypoint)
                // Every file's own place: with {keypoint} in a folder's name the keypoints of one
                // image go to different folders ('out/{keypoint}/{name}.png').
                try OutputPath.checkFile(path, option: option)
            }
        }
    }

    /// Why two figures would be written to one file: two images with one stem, or placeholders
    /// whose values run together (`{name}{keypoint}` for `a` + `b-c` and `a-b` + `c`).
    private static func collision(
        _ a: (image: Int, keypoint: String?), _ b: (image: Int, keypoint: String?), keypointCount: Int, path: String
    ) -> String {
        if a.keypoint == b.keypoint {
            return "photos \(a.image + 1) and \(b.image + 1) would both write \(path) ({name} is the file name without "
                + "its extension); rename one of them"
        }
        func figure(_ f: (image: Int, keypoint: String?)) -> String {
            "image \(f.image + 1)'s keypoint '\(f.keypoint ?? "")'"
        }
        return "\(figure(a)) and \(figure(b)) would both write \(path); "
            + "put a character that no name has (such as _) between {name} and {keypoint}"
    }

    /// Where the figure of one image (and keypoint) goes: in a folder, `<prefix>_<keypoint>.png`
    /// (heatmaps) or `<prefix>_overlay.png`; as a file name, the name with its placeholders
    /// filled (`fileURL`).
    /// - Parameters:
    ///   - prefix: the image's file-name prefix in folders (`LocalizeCommand.filePrefix`).
    ///   - name: what `{name}` becomes (`FigureDestinations.name(ofImage:)`).
    ///   - keypoint: the keypoint's file slug, for heatmaps.
    func url(prefix: String, name: String, keypoint: String? = nil) -> URL {
        switch kind {
        case .folder:
            return DataFiles.fileURL(value).appendingPathComponent("\(prefix)_\(keypoint ?? "overlay").png")
        case .file:
            return fileURL(name: name, keypoint: keypoint)
        }
    }

    /// The file for an image (and keypoint) when `kind` is `.file`.
    func fileURL(name: String, keypoint: String? = nil) -> URL {
        var path = value.replacingOccurrences(of: Self.namePlaceholder, with: name)
        if let keypoint { path = path.replacingOccurrences(of: Self.keypointPlaceholder, with: keypoint) }
        return DataFiles.fileURL(path)
    }

    /// The format figures at this destination are written in (PNG in a folder).
    var format: FigureFormat {
        if case .file(let f) = kind { return f }
        return .png
    }
}
