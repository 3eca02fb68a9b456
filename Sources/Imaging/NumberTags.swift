// Number tags: a keypoint whose name is not drawn by its mark (the overlay's listed labels,
// eval --visualize's labels with no room) gets its 1-based number in a small tag of its colour
// by its mark, matching the number that starts its entry in the list or legend.

extension OverlayRenderer {
    /// A placed number tag: the keypoints it stands for (ascending indices), its text, style and
    /// box, and whether it sits on the mark itself (no room beside it: no leader line).
    struct NumberTag {
        var indices: [Int]
        var place: LabelPlace
        var onDot: Bool
    }

    /// `indices` in groups of keypoints on one mark: each joins the first group whose first
    /// keypoint's `centre` is within `radius` of its own (else starts a group), so that
    /// keypoints at one place share one tag ("11-30").
    static func groupsOnOneMark(_ indices: [Int], radius: Double, centre: (Int) -> CanvasPoint) -> [[Int]] {
        var groups: [[Int]] = []
        for i in indices {
            let c = centre(i)
            if let g = groups.firstIndex(where: { group in
                let d = centre(group[0])
                return (c.x - d.x) * (c.x - d.x) + (c.y - d.y) * (c.y - d.y) <= radius * radius
            }) {
                groups[g].append(i)
            } else {
                groups.append([i])
            }
        }
        return groups
    }

    /// A number tag for each group (`numbers(ofIndices:)` in `style`), placed after every label
    /// so that labels keep their places: beside the group's first mark like a label
    /// (`placeShrinking` down to `minimumHeight`, `clearance` from the mark's centre, its leader
    /// line crossing no other mark or placed box); else at the nearest free place in `bounds`
    /// (`placeNearest`); only with no room at all, on the mark (`numberOnDot`). `dots` are the
    /// marks' squares, keypoint i's at `dots[markIndex(i)]`; the group's own marks are not
    /// avoided. Each tag placed beside its mark is added to `placed`.
    static func placeNumberTags(
        groups: [[Int]], centre: (Int) -> CanvasPoint, markIndex: (Int) -> Int, style: TextStyle,
        minimumHeight: Double, clearance: Double, bounds: PixelRect, placed: inout [PixelRect], dots: [PixelRect]
    ) -> [NumberTag] {
        var tags: [NumberTag] = []
        for group in groups {
            let text = numbers(ofIndices: group)
            let c = centre(group[0])
            let own = markIndex(group[0])
            var others = dots
            for i in group.dropFirst() { others[markIndex(i)] = PixelRect(x: 0, y: 0, width: 0, height: 0) }
            if let place =
                placeShrinking(
                    text, style: style, minimumHeight: minimumHeight, near: c, dotRadius: clearance,
                    bounds: bounds, avoid: placed, dots: others, ownDot: own, leaderClear: true)
                ?? placeNearest(
                    text, style: style.scaled(toHeight: minimumHeight), near: c, bounds: bounds, avoid: placed,
                    dots: others, ownDot: own)
            {
                placed.append(place.box)
                tags.append(NumberTag(indices: group, place: place, onDot: false))
            } else {
                tags.append(
                    NumberTag(indices: group, place: numberOnDot(text, style: style, dot: dots[own]), onDot: true))
            }
        }
        return tags
    }

    /// A thin line in `color` (`width`, over a white one `outline` wider) from a mark at `c` to
    /// the nearest point of `box`, when that is farther than `minimumGap`: it ties a label or
    /// tag pushed away from its mark to it.
    static func drawLeader(
        _ image: inout RGBImage, from c: CanvasPoint, to box: PixelRect, minimumGap: Double, width: Double,
        outline: Double, color: RGB
    ) {
        let near = nearestPoint(of: box, to: c)
        let gap = ((near.x - c.x) * (near.x - c.x) + (near.y - c.y) * (near.y - c.y)).squareRoot()
        if gap <= minimumGap { return }
        var leader = StrokePath(width: width + outline)
        leader.addLine(from: c, to: near)
        leader.draw(on: &image, color: RGB(255, 255, 255))
        var line = StrokePath(width: width)
        line.addLine(from: c, to: near)
        line.draw(on: &image, color: color)
    }

    /// `place`'s text on a box of `color` (text black or white, whichever reads on it), the rest
    /// of its style (size, padding, background opacity) as placed.
    static func drawTag(_ place: LabelPlace, color: RGB, on image: inout RGBImage) {
        var ink = place.style
        ink.background = color
        ink.color = CanvasDrawing.textColor(on: color)
        ink.draw(place.text, on: &image, x: Double(place.box.x), y: Double(place.box.y))
    }

    /// The number that ties a listed label to its dot: the keypoint's 1-based index.
    static func number(ofIndex index: Int) -> String { "\(index + 1)" }

    /// The numbers of several keypoints (ascending indices) in one tag: runs of three or more
    /// as "11-30", others separated by commas ("2,5,7-9").
    static func numbers(ofIndices indices: [Int]) -> String {
        var parts: [String] = []
        var k = 0
        while k < indices.count {
            var end = k
            while end + 1 < indices.count && indices[end + 1] == indices[end] + 1 { end += 1 }
            if end - k >= 2 {
                parts.append("\(number(ofIndex: indices[k]))-\(number(ofIndex: indices[end]))")
            } else {
                parts += indices[k...end].map(number(ofIndex:))
            }
            k = end + 1
        }
        return parts.joined(separator: ",")
    }

    /// The free place inside `bounds` nearest to `c` (a grid of half-line-height steps, by the
    /// distance of its nearest point) for `text` in `style`, for a number tag with no free place
    /// beside its dot; nil when the photo has none. Runs only for such a tag, so its scan of the
    /// whole photo is not on any common path.
    static func placeNearest(
        _ text: String, style: TextStyle, near c: CanvasPoint, bounds: PixelRect,
        avoid: [PixelRect], dots: [PixelRect], ownDot: Int
    ) -> LabelPlace? {
        let size = style.boxSize(of: text)
        guard size.width <= bounds.width, size.height <= bounds.height else { return nil }
        let step = max(1, size.height / 2)
        var candidates: [(distance: Double, box: PixelRect)] = []
        for y in stride(from: bounds.y, through: bounds.maxY - size.height, by: step) {
            for x in stride(from: bounds.x, through: bounds.maxX - size.width, by: step) {
                let box = PixelRect(x: x, y: y, width: size.width, height: size.height)
                let dx = min(max(c.x, Double(x)), Double(box.maxX)) - c.x
                let dy = min(max(c.y, Double(y)), Double(box.maxY)) - c.y
                candidates.append((dx * dx + dy * dy, box))
            }
        }
        candidates.sort { $0.distance < $1.distance }
        let free = candidates.first { candidate in
            !avoid.contains { $0.intersects(candidate.box) }
                && !dots.enumerated().contains { $0.offset != ownDot && $0.element.intersects(candidate.box) }
                && leaderIsClear(from: c, to: candidate.box, avoid: avoid, dots: dots, ownDot: ownDot)
        }
        return free.map { LabelPlace(text: text, style: style, box: $0.box) }
    }

    /// `text` (a number) on its dot, for when no free place is left beside it: the style as
    /// large as fits the dot's square (`labelShrinkStep` at a time), centred on the dot. It covers
    /// only its dot's square, which other keypoints' labels avoid (dots at one place share it).
    static func numberOnDot(_ text: String, style: TextStyle, dot: PixelRect) -> LabelPlace {
        var sized = style
        var size = sized.boxSize(of: text)
        while (size.width > dot.width || size.height > dot.height) && sized.height > 1 {
            sized = sized.scaled(toHeight: max(1, sized.height * labelShrinkStep))
            size = sized.boxSize(of: text)
        }
        return LabelPlace(
            text: text, style: sized,
            box: PixelRect(
                x: dot.x + (dot.width - size.width) / 2, y: dot.y + (dot.height - size.height) / 2,
                width: size.width, height: size.height))
    }

}
