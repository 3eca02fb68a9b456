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
/// parts are evaluated; parts are named by the vocabulary's category "bird" (or its only
/// category) by part id. Items are CUB images, id = image id, category = class name
/// (classes.txt), in ascending id order; the predictor sees the whole image (the paper localizes
/// on the full image; the box only normalises PCK).
public enum CUBReader {
    /// Reads the annotation files and selects a split and classes.
    /// - Parameters:
    ///   - categories: class names (`032.Mangrove_Cuckoo`, or without the number prefix, any
    ///     case) or class ids; empty = all classes.
    static func read(root: URL, split: DatasetSplit, categories: [String],
                            vocabulary: KeypointVocabulary) throws -> ReaderOutput {
        func url(_ name: String) -> URL { root.appendingPathComponent(name) }

        // images.txt: id -> path
        let imagesFile = try TextRows.read(url("images.txt"))
        var paths: [Int: (path: String, line: Int)] = [:]
        var order: [Int] = []
        for row in imagesFile.rows {
            let f = try imagesFile.fields(row, count: 2, names: "image_id path", restJoined: true)
            let id = try imagesFile.integer(f[0], row, "image_id")
            if let first = paths[id] {
                throw EvaluationError.malformedRow(file: imagesFile.file, line: row.line,
                                                   message: "duplicate image_id \(id) (first on line \(first.line))")
            }
            let path = String(f[1])
            _ = try SafePath.resolve(path, under: root, file: imagesFile.file, line: row.line)
            paths[id] = (path, row.line)
            order.append(id)
        }
        guard !paths.isEmpty else {
            throw EvaluationError.malformedRow(file: imagesFile.file, line: 1, message: "no images listed")
        }

        /// Reads a file with one row per image: `id rest...`, checking ids and count.
        func perImage(_ name: String, fields count: Int, names: String,
                      parse: (TextRows, TextRows.Row, [Substring]) throws -> Void) throws {
            let t = try TextRows.read(url(name))
            var seen: [Int: Int] = [:]
            for row in t.rows {
                let f = try t.fields(row, count: count, names: names)
                let id = try t.integer(f[0], row, "image_id")
                guard paths[id] != nil else {
                    throw EvaluationError.malformedRow(file: t.file, line: row.line,
                                                       message: "image_id \(id) is not in \(imagesFile.file)")
                }
                if let first = seen[id] {
                    throw EvaluationError.malformedRow(file: t.file, line: row.line,
                                                       message: "duplicate image_id \(id) (first on line \(first))")
                }
                seen[id] = row.line
                try parse(t, row, f)
            }
            if seen.count != paths.count, let missing = order.first(where: { seen[$0] == nil }) {
                throw EvaluationError.rowCountMismatch(
                    file: t.file, count: t.rows.count, reference: imagesFile.file, expected: paths.count,
                    detail: "no row for image_id \(missing) (\(imagesFile.file) line \(paths[missing]?.line ?? 0))")
            }
        }

        var isTrain: [Int: Bool] = [:]
        try perImage("train_test_split.txt", fields: 2, names: "image_id is_training_image") { t, row, f in
            let v = try t.integer(f[1], row, "is_training_image")
            guard v == 0 || v == 1 else {
                throw EvaluationError.malformedRow(file: t.file, line: row.line, message: "is_training_image: expected 0 or 1, got \(v)")
            }
            isTrain[try t.integer(f[0], row, "image_id")] = v == 1
        }

        var boxes: [Int: Box] = [:]
        try perImage("bounding_boxes.txt", fields: 5, names: "image_id x y width height") { t, row, f in
            let x = try t.number(f[1], row, "x"), y = try t.number(f[2], row, "y")
            let w = try t.number(f[3], row, "width"), h = try t.number(f[4], row, "height")
            guard w > 0, h > 0 else {
                throw EvaluationError.malformedRow(file: t.file, line: row.line, message: "expected a box with width and height > 0, got \(w) x \(h)")
            }
            boxes[try t.integer(f[0], row, "image_id")] = Box(x: x, y: y, width: w, height: h)
        }

        let classesFile = try TextRows.read(url("classes.txt"))
        var classNames: [Int: String] = [:]
        var classOrder: [Int] = []
        for row in classesFile.rows {
            let f = try classesFile.fields(row, count: 2, names: "class_id name", restJoined: true)
            let id = try classesFile.integer(f[0], row, "class_id")
            if classNames[id] != nil {
                throw EvaluationError.malformedRow(file: classesFile.file, line: row.line, message: "duplicate class_id \(id)")
            }
            classNames[id] = String(f[1])
            classOrder.append(id)
        }
        var classOf: [Int: String] = [:]
        try perImage("image_class_labels.txt", fields: 2, names: "image_id class_id") { t, row, f in
            let c = try t.integer(f[1], row, "class_id")
            guard let name = classNames[c] else {
                throw EvaluationError.unknownCategory(file: t.file, line: row.line, name: "class_id \(c)",
                                                      known: classOrder.map { String($0) })
            }
            classOf[try t.integer(f[0], row, "image_id")] = name
        }

        // Parts and their names from the vocabulary.
        let partsFile = try TextRows.read(url("parts/parts.txt"))
        var partIDs: [Int] = []
        for row in partsFile.rows {
            let f = try partsFile.fields(row, count: 2, names: "part_id name", restJoined: true)
            let id = try partsFile.integer(f[0], row, "part_id")
            if partIDs.contains(id) {
                throw EvaluationError.malformedRow(file: partsFile.file, line: row.line, message: "duplicate part_id \(id)")
            }
            partIDs.append(id)
        }
        let vocabularyCategory: KeypointCategory
        if let bird = vocabulary.categoryIfPresent("bird") {
            vocabularyCategory = bird
        } else if vocabulary.categories.count == 1 {
            vocabularyCategory = vocabulary.categories[0]
        } else {
            throw EvaluationError.unknownCategory(file: vocabulary.source, line: nil, name: "bird", known: vocabulary.categoryNames)
        }
        let names = try vocabulary.namesByID(vocabularyCategory)

        // part_locs.txt: visible parts per image.
        let locs = try TextRows.read(url("parts/part_locs.txt"))
        var visible: [Int: [GroundTruthKeypoint]] = [:]
        var unnamed: [Int: Int] = [:]
        var rowsPerImage: [Int: Set<Int>] = [:]
        for row in locs.rows {
            let f = try locs.fields(row, count: 5, names: "image_id part_id x y visible")
            let image = try locs.integer(f[0], row, "image_id")
            let part = try locs.integer(f[1], row, "part_id")
            guard paths[image] != nil else {
                throw EvaluationError.malformedRow(file: locs.file, line: row.line, message: "image_id \(image) is not in \(imagesFile.file)")
            }
            guard partIDs.contains(part) else {
                throw EvaluationError.malformedRow(file: locs.file, line: row.line, message: "part_id \(part) is not in \(partsFile.file)")
            }
            guard rowsPerImage[image, default: []].insert(part).inserted else {
                throw EvaluationError.malformedRow(file: locs.file, line: row.line, message: "duplicate row for image_id \(image) part_id \(part)")
            }
            let x = try locs.number(f[2], row, "x"), y = try locs.number(f[3], row, "y")
            let v = try locs.integer(f[4], row, "visible")
            guard v == 0 || v == 1 else {
                throw EvaluationError.malformedRow(file: locs.file, line: row.line, message: "visible: expected 0 or 1, got \(v)")
            }
            guard v == 1 else { continue }
            if let n = names[part] {
                visible[image, default: []].append(GroundTruthKeypoint(id: part, name: n.name, prompt: n.prompt, x: x, y: y))
            } else {
                unnamed[image, default: 0] += 1
            }
        }
        let expectedRows = paths.count * partIDs.count
        if locs.rows.count != expectedRows {
            let bad = order.first { rowsPerImage[$0]?.count != partIDs.count } ?? order[0]
            throw EvaluationError.rowCountMismatch(
                file: locs.file, count: locs.rows.count, reference: "\(imagesFile.file) x \(partsFile.file)",
                expected: expectedRows,
                detail: "image_id \(bad) has \(rowsPerImage[bad]?.count ?? 0) part rows, expected \(partIDs.count)")
        }

        // Class selection.
        var wanted: Set<String>? = nil
        if !categories.isEmpty {
            let all = classOrder.compactMap { classNames[$0] }
            var set = Set<String>()
            for c in categories {
                let key = c.lowercased()
                let match = classOrder.first { id in
                    guard let name = classNames[id] else { return false }
                    let plain = name.split(separator: ".", maxSplits: 1).last.map(String.init) ?? name
                    return name.lowercased() == key || plain.lowercased() == key || String(id) == c
                }
                guard let id = match, let name = classNames[id] else {
                    throw EvaluationError.unknownCategory(file: classesFile.file, line: nil, name: c, known: all)
                }
                set.insert(name)
            }
            wanted = set
        }

        var items: [EvalItem] = []
        let imagesRoot = root.appendingPathComponent("images")
        for id in order.sorted() {
            guard let p = paths[id], let box = boxes[id], let category = classOf[id], let train = isTrain[id] else { continue }
            switch split {
            case .test where train, .train where !train: continue
            default: break
            }
            if let wanted, !wanted.contains(category) { continue }
            let path = "images/" + p.path
            items.append(EvalItem(id: String(id), category: category, imagePath: path,
                                  imageURL: imagesRoot.appendingPathComponent(p.path), box: box, region: .image,
                                  keypoints: visible[id] ?? [], unnamedKeypoints: unnamed[id] ?? 0))
        }
        return ReaderOutput(items: items)
    }
}
