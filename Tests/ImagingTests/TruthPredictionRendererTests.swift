import Foundation
import Testing

@testable import Imaging

@Suite struct TruthPredictionRendererTests {
    static let grey = RGB(40, 40, 40)
    /// Per-channel slack on a blended colour: the box edge is anti-aliased by coverage, and
    /// 85% opacity is rounded to 218/256 (one or two levels either way).
    static let blendTolerance = 2

    /// A 200 x 100 grey photo (no palette colour) with one keypoint: truth (40, 50), prediction
    /// (160, 50), and a second one elsewhere.
    static func render(threshold: Double? = nil, labels: Bool = false) throws -> RGBImage {
        let photo = RGBImage(width: 200, height: 100, fill: grey)
        let pairs = [
            TruthPredictionPair(
                name: "beak", truth: Point(x: 40, y: 50), prediction: Point(x: 160, y: 50), note: "0.60"),
            TruthPredictionPair(name: "tail", truth: Point(x: 100, y: 85), prediction: Point(x: 100, y: 85)),
        ]
        let renderer = labels ? TruthPredictionRenderer() : TruthPredictionRenderer(labelHeight: nil)
        return try renderer.render(photo: photo, pairs: pairs, thresholdRadius: threshold)
    }

    @Test func lineRingCrossAndLegendInTheKeypointsColour() throws {
        let image = try Self.render()
        let beak = OverlayRenderer.palette[0]
        let tail = OverlayRenderer.palette[1]
        // The photo at its resolution, the legend panel to its right.
        #expect(image.width > 200 && image.height >= 100)
        // The joining line (2 px wide, centred on y = 50) covers rows 49 and 50 between the marks.
        let between = (60..<140).map { (image[$0, 49], image[$0, 50]) }
        #expect(between.allSatisfy { $0.0 == beak && $0.1 == beak }, "\(between.prefix(4))")
        // Ring around the truth (radius 7): the pixels 6.5 px above and below its centre; not
        // inside it, off the line.
        #expect(image[40, 43] == beak && image[40, 57] == beak && image[37, 47] == Self.grey)
        // Cross (+) at the prediction: its vertical arm 4.5 px above the centre.
        #expect(image[160, 45] == beak && image[160, 54] == beak)
        // Away from every mark the photo is unchanged.
        #expect(image[100, 20] == Self.grey && image[190, 10] == Self.grey)
        // The second keypoint has the second colour; the legend shows both colours.
        #expect(image[100, 78] == tail)
        let panel = (0..<image.height).flatMap { y in (200..<image.width).map { image[$0, y] } }
        #expect(panel.contains(beak) && panel.contains(tail))
        #expect(image[image.width - 1, 0] == RGB(255, 255, 255))
    }

    /// Each ground truth's name in a label on the photo (by default): the figure differs from the
    /// unlabelled one only inside the photo, near the two ground truths.
    @Test func namesAreLabelledNextToTheGroundTruth() throws {
        let plain = try Self.render()
        let labelled = try Self.render(labels: true)
        #expect(plain.width == labelled.width && plain.height == labelled.height)
        var changed: [(Int, Int)] = []
        for y in 0..<plain.height {
            for x in 0..<plain.width where plain[x, y] != labelled[x, y] { changed.append((x, y)) }
        }
        #expect(changed.count > 100, "\(changed.count) pixels changed")
        let nearTruth = changed.filter { x, y in
            x < 200 && (hypot(Double(x) - 40, Double(y) - 50) < 60 || hypot(Double(x) - 100, Double(y) - 85) < 60)
        }
        #expect(nearTruth.count == changed.count)
        // The beak's label box: its colour at 85% over the grey photo, (243, 195, 0) -> about
        // (213, 172, 6) (CanvasDrawing.fill rounds in 1/256 steps).
        let box = changed.filter { x, y in
            let c = labelled[x, y]
            let t = Self.blendTolerance
            return abs(Int(c.r) - 213) <= t && abs(Int(c.g) - 172) <= t && abs(Int(c.b) - 6) <= t
        }
        #expect(box.count > 20, "\(box.count) pixels of the beak's label colour")
    }

    /// A crowded photo: every keypoint is named by its ring or, where its name has no room even
    /// at the smallest size, numbered there in a tag of its colour (keypoints on one ring share
    /// one), and the legend row starts with the same number; no tag covers a name.
    @Test func keypointsWithNoRoomForTheirNameAreNumberedByTheirRing() throws {
        let grey = Self.grey
        let photo = RGBImage(width: 120, height: 90, fill: grey)
        // 10 keypoints on one spot, 6 along a row near the bottom, 15 px apart; each predicted
        // where it is annotated, so no joining line crosses a leader line.
        let points = (0..<16).map { i in
            i < 10 ? Point(x: 60.5, y: 40.5) : Point(x: 15.5 + 15 * Double(i - 10), y: 78.5)
        }
        let pairs = points.enumerated().map { i, p in
            TruthPredictionPair(name: "keypoint \(i)", truth: p, prediction: p, note: "0.0\(i % 10)")
        }
        let renderer = TruthPredictionRenderer()
        // At 120 x 90 the figure scale is 1: ring radius 7, lines 2 px, labels 10 px down to 8 px.
        let photoRect = PixelRect(x: 0, y: 0, width: 120, height: 90)
        let (names, tags) = renderer.placeLabels(
            pairs: pairs, height: 10, minimumLabelHeight: 8, ringRadius: 7, markRadius: 9, bounds: photoRect)
        let tagged = tags.flatMap(\.indices)
        #expect(!names.isEmpty && tags.count >= 2, "\(names.count) names, \(tags.count) tags")
        // Every keypoint once: named or numbered.
        #expect((names.map(\.index) + tagged).sorted() == Array(pairs.indices), "\(names.map(\.index)) \(tagged)")
        #expect(tags.contains { $0.indices.count > 1 } && tags.contains { $0.indices[0] >= 10 })
        let figure = try renderer.render(photo: photo, pairs: pairs)
        func distance(_ a: RGB, _ b: RGB) -> Int {
            abs(Int(a.r) - Int(b.r)) + abs(Int(a.g) - Int(b.g)) + abs(Int(a.b) - Int(b.b))
        }
        for tag in tags {
            // The tag reads the 1-based numbers of its keypoints, all on one ring.
            let numbered = tag.place.text.split(separator: ",").flatMap { part -> [Int] in
                let ends = part.split(separator: "-").compactMap { Int($0) }
                return ends.count == 2 ? Array(ends[0]...ends[1]) : ends
            }
            #expect(numbered == tag.indices.map { $0 + 1 }, "\(tag.place.text) for \(tag.indices)")
            let c = CanvasPoint(x: points[tag.indices[0]].x, y: points[tag.indices[0]].y)
            for i in tag.indices { #expect(hypot(points[i].x - c.x, points[i].y - c.y) <= 7, "\(tag.indices)") }
            let box = tag.place.box
            #expect(box.intersection(photoRect) == box, "\(tag.place.text) at \(box)")
            #expect(!names.contains { $0.place.box.intersects(box) }, "tag \(tag.place.text) covers a name")
            guard !tag.onDot else { continue }
            for other in tags where other.indices != tag.indices && !other.onDot {
                #expect(!other.place.box.intersects(box), "tags \(tag.place.text) and \(other.place.text) overlap")
            }
            // Drawn in its keypoint's colour (85 % over the photo), and tied to its ring by a
            // leader line when it is farther than the mark (9) plus the leader threshold (6).
            let color = OverlayRenderer.color(forIndex: tag.indices[0])
            let corner = figure[box.x, box.y]
            #expect(distance(corner, color) < distance(corner, grey), "tag \(tag.place.text): \(corner)")
            let near = OverlayRenderer.nearestPoint(of: box, to: c)
            if hypot(near.x - c.x, near.y - c.y) > 9 + 6 {
                let mid = figure[Int((c.x + near.x) / 2), Int((c.y + near.y) / 2)]
                #expect(distance(mid, color) < distance(mid, grey), "no leader line to tag \(tag.place.text): \(mid)")
            }
        }
        // Each legend row starts with its keypoint's number, the number on its tag.
        let legend = TruthPredictionRenderer.Legend(
            pairs: pairs, heading: [], thresholdLabel: nil, boxLabel: nil, text: TextStyle(height: 14),
            markerRadius: 7)
        #expect(legend.row(0) == "1 keypoint 0  0.00" && legend.row(12) == "13 keypoint 12  0.02")
        // With room for every name (the two keypoints of `render`), no tag.
        let roomy = [
            TruthPredictionPair(name: "beak", truth: Point(x: 40, y: 50), prediction: Point(x: 160, y: 50)),
            TruthPredictionPair(name: "tail", truth: Point(x: 100, y: 85), prediction: Point(x: 100, y: 85)),
        ]
        let few = renderer.placeLabels(
            pairs: roomy, height: 10, minimumLabelHeight: 8, ringRadius: 7, markRadius: 9,
            bounds: PixelRect(x: 0, y: 0, width: 200, height: 100))
        #expect(few.names.map(\.index) == [0, 1] && few.tags.isEmpty)
    }

    @Test func thresholdCircleOnlyWhenAsked() throws {
        // Pixels 28 ... 32 px from the truth, away from the line and the other keypoint, that the
        // drawing changed (the circle is 1 px wide and anti-aliased: blends of the colour).
        func onCircle(_ image: RGBImage) -> Int {
            var n = 0
            for y in 0..<100 where abs(y - 50) > 3 {
                for x in 0..<80 {
                    let d = hypot(Double(x) + 0.5 - 40, Double(y) + 0.5 - 50)
                    if (28...32).contains(d) && image[x, y] != Self.grey { n += 1 }
                }
            }
            return n
        }
        #expect(onCircle(try Self.render()) == 0)
        #expect(onCircle(try Self.render(threshold: 30)) > 40)  // a dashed circle: about half of 188 px
    }

    /// Marks grow with the photo like the other figures' (FigureScale): a 1280 px photo gets
    /// twice the design sizes, a ring of radius 14 and a 4 px line.
    @Test func marksScaleWithThePhoto() throws {
        let photo = RGBImage(width: 1280, height: 400, fill: Self.grey)
        let pair = TruthPredictionPair(name: "beak", truth: Point(x: 200, y: 200), prediction: Point(x: 800, y: 200))
        let image = try TruthPredictionRenderer(labelHeight: nil).render(photo: photo, pairs: [pair])
        let beak = OverlayRenderer.palette[0]
        #expect(image[200, 186] == beak && image[200, 213] == beak)  // 13.5 px from the centre
        #expect(image[200, 182] != beak && image[200, 217] != beak)  // 17.5 px: outside the 4 px ring
        #expect((198...201).allSatisfy { image[500, $0] == beak })  // the 4 px line, rows 198 ... 201
    }

    /// `maxDisplaySide` shows a larger photo downscaled: the same figure as the photo already
    /// downscaled with its points scaled (marks follow the shown photo, FigureScale 1 for both),
    /// and a cap above the photo's size changes nothing.
    @Test func maxDisplaySideDownscalesThePhotoAndItsMarks() throws {
        let photo = RGBImage(width: 400, height: 200, fill: Self.grey)
        let pair = TruthPredictionPair(name: "beak", truth: Point(x: 80, y: 100), prediction: Point(x: 320, y: 100))
        let box = Box(x: 40, y: 20, width: 320, height: 160)
        let capped = try TruthPredictionRenderer(maxDisplaySide: 200).render(
            photo: photo, pairs: [pair], thresholdRadius: 40, box: box)
        let small = try TruthPredictionRenderer().render(
            photo: RGBImage(width: 200, height: 100, fill: Self.grey),
            pairs: [TruthPredictionPair(name: "beak", truth: Point(x: 40, y: 50), prediction: Point(x: 160, y: 50))],
            thresholdRadius: 20, box: Box(x: 20, y: 10, width: 160, height: 80))
        #expect(capped == small)
        let roomy = try TruthPredictionRenderer(maxDisplaySide: 1000).render(photo: photo, pairs: [pair])
        #expect(roomy == (try TruthPredictionRenderer().render(photo: photo, pairs: [pair])))
    }

    @Test func nonFinitePointsAreRefused() throws {
        let photo = RGBImage(width: 10, height: 10, fill: Self.grey)
        #expect(throws: CanvasError.self) {
            try TruthPredictionRenderer().render(
                photo: photo,
                pairs: [TruthPredictionPair(name: "x", truth: Point(x: .nan, y: 1), prediction: Point(x: 1, y: 1))])
        }
    }
}
