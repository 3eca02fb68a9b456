import Foundation
import Imaging
import Localization

/// CUB-200-2011 in its release layout (`root` = the folder holding images.txt):
///
/// | file | rows |
/// |---|---|
/// | images.txt | `<image_id> <path under images/>` |
/// | train_test_split.txt | `<image_id> <1 = train, 0 = test>` |
/// | bounding_boxes.txt | `<image_id> <x> <y> <width> <height>` (pixels, 0-based) |
/// | image_class_labels.txt | `<image_id> <class_id>` |
/// | classes.txt | `<class_id> <class name>` |
/// | parts/parts.txt | `<part_id> <part name>` |
/// | parts/part_locs.txt | `<image_id> <part_id> <x> <y> <visible 0/1>` (invisible: `0.0 0.0 0`) |
///
/// Every per-image file must have exactly one row per image of images.txt (ids may be any
/// subset of the release, e.g. a sample), part_locs.txt one row per image and part. Only visible
/// parts are evaluated; parts are named by the vocabulary's category "bird" by part id (a
/// vocabulary without it is refused). Items are CUB images, id = image id, category = class name
/// (classes.txt), in ascending id order; the predictor sees the whole image (the paper localizes
/// on the full image; the box only normalises PCK).
public enum CUBReader: DatasetReader {
    static let name = "cub"
    static let splits: [DatasetSplit] = [.test, .train, .all]
    static let vocabularyFileName: String? = "cub.json"

    /// Reads the annotation files and selects a split and classes.
    /// - Parameters:
    ///   - categories: class names (`032.Mangrove_Cuckoo`, or without the number prefix, any
    ///     case) or class ids; empty = all classes.
    static func read(_ options: DatasetOptions, split: DatasetSplit, categories: [String]) throws -> ReaderOutput {
        let root = options.root
        let vocabulary = try EvalDataset.requireVocabulary(options)
        func url(_ name: String) -> URL { root.appendingPathComponent(name) }
        let images = try readImages(url("images.txt"), root: root)
        let isTrain = try readSplit(url("train_test_split.txt"), images: images)
        let boxes = try readBoxes(url("bounding_boxes.txt"), images: images)
        let classes = try readClasses(url("classes.txt"))
        let classOf = try readClassLabels(url("image_class_labels.txt"), images: images, classes: classes)
        let parts = try readParts(url("parts/parts.txt"))
        let locations = try readPartLocations(
            url("parts/part_locs.txt"), images: images, parts: parts,
            names: try partNames(vocabulary))
        let wanted = try classes.selection(categories)

        var items: [EvalItem] = []
        let imagesRoot = root.appendingPathComponent("images")
        for id in images.order.sorted() {
            guard let p = images.paths[id], let box = boxes[id], let category = classOf[id], let train = isTrain[id]
            else { continue }
            switch split {
            case .test where train, .train where !train: continue
            default: break
            }
            if let wanted, !wanted.contains(category) { continue }
            let path = "images/" + p.path
            items.append(
                EvalItem(
                    id: String(id), category: category, imagePath: path,
                    imageURL: imagesRoot.appendingPathComponent(p.path), box: box, region: .image,
                    keypoints: locations.visible[id] ?? [], unnamedKeypoints: locations.unnamed[id] ?? 0))
        }
        return ReaderOutput(items: items)
    }

    // MARK: - images.txt

    /// images.txt: image id -> path under images/ (and its line), in file order.
    struct Images {
        let file: String
        var paths: [Int: (path: String, line: Int)] = [:]
        var order: [Int] = []
    }

    static func readImages(_ url: URL, root: URL) throws -> Images {
        let t = try TextRows.read(url)
        var images = Images(file: t.file)
        for row in t.rows {
            let f = try t.fields(row, count: 2, names: "image_id path", restJoined: true)
            let id = try t.integer(f[0], row, "image_id")
            if let first = images.paths[id] {
                throw EvaluationError.malformedRow(
                    file: t.file, line: row.line,
                    message: "duplicate image_id \(id) (first on line \(first.line))")
            }
            let path = String(f[1])
            _ = try SafePath.resolve(path, under: root, file: t.file, line: row.line)
            images.paths[id] = (path, row.line)
            images.order.append(id)
        }
        guard !images.paths.isEmpty else {
            throw EvaluationError.malformedRow(file: t.file, line: 1, message: "no images listed")
        }
        return images
    }

    /// Reads a file with one row per image of images.txt, `image_id rest...`, checking the ids
    /// and the count; `parse` reads each row's fields into the result.
    static func readPerImage<Value>(
        _ url: URL, images: Images, fields count: Int, names: String,
        parse: (TextRows, TextRows.Row, [Substring]) throws -> Value
    ) throws -> [Int: Value] {
        let t = try TextRows.read(url)
        var values: [Int: Value] = [:]
        var seen: [Int: Int] = [:]
        for row in t.rows {
            let f = try t.fields(row, count: count, names: names)
            let id = try t.integer(f[0], row, "image_id")
            guard images.paths[id] != nil else {
                throw EvaluationError.malformedRow(
                    file: t.file, line: row.line,
                    message: "image_id \(id) is not in \(images.file)")
            }
            if let first = seen[id] {
                throw EvaluationError.malformedRow(
                    file: t.file, line: row.line,
                    message: "duplicate image_id \(id) (first on line \(first))")
            }
            seen[id] = row.line
            values[id] = try parse(t, row, f)
        }
        if seen.count != images.paths.count, let missing = images.order.first(where: { seen[$0] == nil }) {
            throw EvaluationError.rowCountMismatch(
                file: t.file, count: t.rows.count, reference: images.file, expected: images.paths.count,
                detail: "no row for image_id \(missing) (\(images.file) line \(images.paths[missing]?.line ?? 0))")
        }
        return values
    }

    // MARK: - Per-image files

    /// train_test_split.txt: image id -> is a training image.
    static func readSplit(_ url: URL, images: Images) throws -> [Int: Bool] {
        try readPerImage(url, images: images, fields: 2, names: "image_id is_training_image") { t, row, f in
            let v = try t.integer(f[1], row, "is_training_image")
            guard v == 0 || v == 1 else {
                throw EvaluationError.malformedRow(
                    file: t.file, line: row.line, message: "is_training_image: expected 0 or 1, got \(v)")
            }
            return v == 1
        }
    }

    /// bounding_boxes.txt: image id -> box (pixels, positive size).
    static func readBoxes(_ url: URL, images: Images) throws -> [Int: Box] {
        try readPerImage(url, images: images, fields: 5, names: "image_id x y width height") { t, row, f in
            let x = try t.number(f[1], row, "x")
            let y = try t.number(f[2], row, "y")
            let w = try t.number(f[3], row, "width")
            let h = try t.number(f[4], row, "height")
            guard w > 0, h > 0 else {
                throw EvaluationError.malformedRow(
                    file: t.file, line: row.line, message: "expected a box with width and height > 0, got \(w) x \(h)")
            }
            return Box(x: x, y: y, width: w, height: h)
        }
    }

    /// image_class_labels.txt: image id -> class name.
    static func readClassLabels(_ url: URL, images: Images, classes: Classes) throws -> [Int: String] {
        try readPerImage(url, images: images, fields: 2, names: "image_id class_id") { t, row, f in
            let c = try t.integer(f[1], row, "class_id")
            guard let name = classes.names[c] else {
                throw EvaluationError.unknownCategory(
                    file: t.file, line: row.line, name: "class_id \(c)",
                    known: classes.order.map { String($0) })
            }
            return name
        }
    }

    // MARK: - classes.txt

    /// classes.txt: class id -> name, in file order.
    struct Classes {
        let file: String
        var names: [Int: String] = [:]
        var order: [Int] = []

        /// The class names selected by `categories` (names with or without the number prefix,
        /// any case, or ids); nil (all) when `categories` is empty.
        func selection(_ categories: [String]) throws -> Set<String>? {
            guard !categories.isEmpty else { return nil }
            let all = order.compactMap { names[$0] }
            var set = Set<String>()
            for c in categories {
                let key = c.lowercased()
                let match = order.first { id in
                    guard let name = names[id] else { return false }
                    let plain = name.split(separator: ".", maxSplits: 1).last.map(String.init) ?? name
                    return name.lowercased() == key || plain.lowercased() == key || String(id) == c
                }
                guard let id = match, let name = names[id] else {
                    throw EvaluationError.unknownCategory(file: file, line: nil, name: c, known: all)
                }
                set.insert(name)
            }
            return set
        }
    }

    static func readClasses(_ url: URL) throws -> Classes {
        let t = try TextRows.read(url)
        var classes = Classes(file: t.file)
        for row in t.rows {
            let f = try t.fields(row, count: 2, names: "class_id name", restJoined: true)
            let id = try t.integer(f[0], row, "class_id")
            if classes.names[id] != nil {
                throw EvaluationError.malformedRow(file: t.file, line: row.line, message: "duplicate class_id \(id)")
            }
            classes.names[id] = String(f[1])
            classes.order.append(id)
        }
        return classes
    }

    // MARK: - parts/parts.txt and parts/part_locs.txt

    /// parts/parts.txt: the part ids, in file order.
    static func readParts(_ url: URL) throws -> (file: String, ids: [Int]) {
        let t = try TextRows.read(url)
        var ids: [Int] = []
        for row in t.rows {
            let f = try t.fields(row, count: 2, names: "part_id name", restJoined: true)
            let id = try t.integer(f[0], row, "part_id")
            if ids.contains(id) {
                throw EvaluationError.malformedRow(file: t.file, line: row.line, message: "duplicate part_id \(id)")
            }
            ids.append(id)
        }
        return (t.file, ids)
    }

    /// Part id -> (name, prompts) from the vocabulary's category "bird"; a vocabulary without it
    /// (another dataset's) is refused.
    static func partNames(_ vocabulary: KeypointVocabulary) throws -> [Int: (name: String, prompts: [String])] {
        try vocabulary.namesByID(try vocabulary.requiredCategory("bird", dataset: .cub))
    }

    /// parts/part_locs.txt: per image, its visible named parts and how many visible parts have
    /// no name; every image must have one row per part.
    static func readPartLocations(
        _ url: URL, images: Images, parts: (file: String, ids: [Int]),
        names: [Int: (name: String, prompts: [String])]
    ) throws
        -> (visible: [Int: [GroundTruthKeypoint]], unnamed: [Int: Int])
    {
        let locs = try TextRows.read(url)
        var visible: [Int: [GroundTruthKeypoint]] = [:]
        var unnamed: [Int: Int] = [:]
        var rowsPerImage: [Int: Set<Int>] = [:]
        for row in locs.rows {
            let f = try locs.fields(row, count: 5, names: "image_id part_id x y visible")
            let image = try locs.integer(f[0], row, "image_id")
            let part = try locs.integer(f[1], row, "part_id")
            guard images.paths[image] != nil else {
                throw EvaluationError.malformedRow(
                    file: locs.file, line: row.line, message: "image_id \(image) is not in \(images.file)")
            }
            guard parts.ids.contains(part) else {
                throw EvaluationError.malformedRow(
                    file: locs.file, line: row.line, message: "part_id \(part) is not in \(parts.file)")
            }
            guard rowsPerImage[image, default: []].insert(part).inserted else {
                throw EvaluationError.malformedRow(
                    file: locs.file, line: row.line, message: "duplicate row for image_id \(image) part_id \(part)")
            }
            let x = try locs.number(f[2], row, "x")
            let y = try locs.number(f[3], row, "y")
            let v = try locs.integer(f[4], row, "visible")
            guard v == 0 || v == 1 else {
                throw EvaluationError.malformedRow(
                    file: locs.file, line: row.line, message: "visible: expected 0 or 1, got \(v)")
            }
            guard v == 1 else { continue }
            if let n = names[part] {
                visible[image, default: []].append(
                    GroundTruthKeypoint(id: part, name: n.name, prompts: n.prompts, x: x, y: y))
            } else {
                unnamed[image, default: 0] += 1
            }
        }
        let expectedRows = images.paths.count * parts.ids.count
        if locs.rows.count != expectedRows {
            let bad = images.order.first { rowsPerImage[$0]?.count != parts.ids.count } ?? images.order[0]
            throw EvaluationError.rowCountMismatch(
                file: locs.file, count: locs.rows.count, reference: "\(images.file) x \(parts.file)",
                expected: expectedRows,
                detail: "image_id \(bad) has \(rowsPerImage[bad]?.count ?? 0) part rows, expected \(parts.ids.count)")
        }
        return (visible, unnamed)
    }
}
