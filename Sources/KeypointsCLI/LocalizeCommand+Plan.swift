import Evaluation
import Foundation
import Imaging
import KeypointsSupport
import Localization

extension LocalizeCommand {
    /// What a `localize` run will do, decided before any model is loaded: its keypoints and
    /// photos, the photos `--out` already answers, the boxes, the grid, and every output path
    /// checked. Everything that can be refused without the model is refused while making it.
    struct Plan {
        let queries: [KeypointQuery]
        /// Every photo of the run (all shards), folders expanded, in order.
        let photos: [String]
        let shard: Shard?
        /// Positions in `photos` of this shard's photos.
        let selected: [Int]
        /// `selected` without the photos an earlier run recorded in `--out`: what this run computes.
        let pending: [Int]
        /// `--out` and `--scores` with `{shard}` filled.
        let out: String?
        let scores: String?
        let destinations: FigureDestinations
        /// `--out`, opened: locked and read if it exists (`recorded`), started once the model is
        /// loaded.
        let store: LocalizationResultStore?
        /// The rows of `--boxes`, checked to hold every selected photo.
        let photoBoxes: PhotoBoxes?
        /// `--box`.
        let box: Box?
        let gridFile: GridFile
        /// The grid's preset with `--batch` applied.
        let preset: GridPreset
        /// The options every photo starts from (the preset's, `--fit`, `--box`, `--crop-to-box`);
        /// the visual prompt is set once the model's input side is known.
        let options: LocalizationOptions
        let readOptions: ImageReadOptions
        /// The size of each pending photo, by position in `photos` (each was decoded once).
        let sizes: [Int: (path: String, width: Int, height: Int)]

        /// Whether `--scores` names one file per photo (`{name}`).
        var scoresPerPhoto: Bool { scores?.contains(FigurePath.namePlaceholder) ?? false }

        /// The box of photo `index`: its `--boxes` row, or `--box`.
        func box(of index: Int) -> Box? { photoBoxes?.box(forPhoto: photos[index]) ?? box }
    }

    /// Checks the run's inputs and outputs and reads what `--out` already holds, before any model
    /// is loaded (issue 14: failures after the compute).
    func makePlan() throws -> Plan {
        let queries = try loadQueries()
        // Folders among the arguments become their photos; --shard takes every n-th of the list.
        let photos = try PhotoList.expand(images)
        let shard = try sharding.resolved()
        let selected = photos.indices.filter { shard?.contains(position: $0) ?? true }
        guard !selected.isEmpty else {
            throw CLIError("shard \(shard.map(\.description) ?? ""): none of the \(photos.count) photo(s) falls in it")
        }
        let out = ShardOptions.output(self.out, shard: shard)
        if out != nil { try PhotoList.checkDistinct(photos) }
        let scores = ShardOptions.output(self.scores, shard: shard)
        let destinations = try checkOutputPaths(photos: photos, keypoints: queries, scores: scores)
        if let out { try OutputPath.checkFile(out, option: "--out") }
        // Read before the outputs are checked: its visual prompt decides --save-marked's files.
        let gridFile = try GridFile.load(grid)
        try ablation.checkMarkerSwitches(base: gridFile.preset.effectiveVisualPrompt)
        try checkOutputsAgainstInputs(
            photos: photos, keypoints: queries, destinations: destinations, out: out, scores: scores,
            otherInputs: try otherInputFiles(),
            markedImages: ablation.promptMemberCount(base: gridFile.preset.effectiveVisualPrompt))
        let store = try out.map(openResults)
        let recorded = store?.recorded
        let done = Set(recorded?.images.map { FilePathKey($0.value.file) } ?? [])
        let parsedBox = try box.map(Self.parseBox)
        let pending = selected.filter { !done.contains(FilePathKey(photos[$0])) }
        let photoBoxes = try loadPhotoBoxes(photos: photos, selected: selected)
        if let recorded, let out {
            try checkRecordedPhotos(
                recorded, in: out, queries: queries, photos: photos, selected: selected,
                box: { photoBoxes?.box(forPhoto: photos[$0]) ?? parsedBox }, perPhotoBoxes: photoBoxes != nil)
        }
        var preset = gridFile.preset
        if let batch { preset.batch = batch }
        var options = Localizer.defaultOptions(for: preset)
        if let fit { options.fit = fit }
        options.box = parsedBox
        options.cropToBox = cropToBox
        let readOptions = ImageReadOptions(allowDamaged: allowDamagedImages)
        return Plan(
            queries: queries, photos: photos, shard: shard, selected: selected, pending: pending, out: out,
            scores: scores, destinations: destinations, store: store, photoBoxes: photoBoxes, box: parsedBox,
            gridFile: gridFile, preset: preset, options: options, readOptions: readOptions,
            sizes: try Self.photoSizes(photos: photos, pending: pending, options: readOptions, exif: exif))
    }

    /// `--out`, opened before any model is loaded: an existing file is locked and read once (a
    /// damaged one fails at once) and a torn last line cut away; its folder is created.
    private func openResults(_ out: String) throws -> LocalizationResultStore {
        let url = DataFiles.fileURL(out)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let store = try LocalizationResultStore.open(url: url)
        if let torn = store.repairedTail { Console.warning("\(out): \(torn); truncated, that photo is redone") }
        return store
    }

    /// `--boxes`: every photo of the run needs its row, checked before any work.
    private func loadPhotoBoxes(photos: [String], selected: [Int]) throws -> PhotoBoxes? {
        guard let boxes else { return nil }
        let photoBoxes = try PhotoBoxes.load(from: DataFiles.fileURL(boxes))
        for index in selected where photoBoxes.box(forPhoto: photos[index]) == nil {
            throw CLIError(
                "--boxes \(boxes): no row for the photo \(photos[index]) (paths in the file are relative to its folder)"
            )
        }
        return photoBoxes
    }

    /// Each selected photo that `--out` answers was recorded with this run's keypoints (and, with
    /// `--boxes`, its box, given by `box` for a position in `photos`).
    private func checkRecordedPhotos(
        _ recorded: LocalizationResultsFile, in out: String, queries: [KeypointQuery], photos: [String],
        selected: [Int], box: (Int) -> Box?, perPhotoBoxes: Bool
    ) throws {
        let byFile = Dictionary(
            recorded.images.map { (FilePathKey($0.value.file), $0) }, uniquingKeysWith: { _, last in last })
        for index in selected {
            guard let r = byFile[FilePathKey(photos[index])] else { continue }
            try Self.checkRecorded(
                r.value, line: r.line, in: out, keypoints: queries, box: box(index), perPhotoBoxes: perPhotoBoxes)
        }
    }

    /// Decodes every photo still to do once before any work, so that a bad file among several
    /// stops the run before anything is written, keeping only its size: each photo is decoded
    /// again when its turn comes and dropped after, so memory holds one photo whatever their
    /// number.
    /// With `--exif-transpose` the sizes are those of the photos turned upright; a photo's EXIF
    /// warnings are printed here, once.
    private static func photoSizes(
        photos: [String], pending: [Int], options: ImageReadOptions, exif: ExifOptions
    ) throws -> [Int: (path: String, width: Int, height: Int)] {
        var sizes: [Int: (path: String, width: Int, height: Int)] = [:]
        for index in pending {
            let path = photos[index]
            let decoded = try ImageCodec.decode(contentsOf: URL(fileURLWithPath: path), options: options)
            for w in decoded.warnings { Console.warning("\(path): decoder: \(w)") }
            let size = exif.size(decoded, path: path, storedFrame: storedFrame)
            sizes[index] = (path: path, width: size.width, height: size.height)
        }
        return sizes
    }
}
