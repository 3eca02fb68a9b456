import Foundation
import Imaging
import Testing

@testable import Localization

@Suite("Grid geometry")
struct SearchGeometryTests {
    /// Offset, non-square, non-integer size: every term of the centre formula matters.
    static let region = Box(x: 10.5, y: 20, width: 301, height: 150)

    /// `((i + 0.5) W / M + x0, (j + 0.5) H / M + y0)`, written out independently of the plan.
    static func centre(_ i: Double, _ j: Double, of m: Double, in r: Box = region) -> Point {
        Point(x: r.x + (i + 0.5) * r.width / m, y: r.y + (j + 0.5) * r.height / m)
    }

    @Test(arguments: [2, 7, 10, 30])
    func firstStageCentres(_ m: Int) throws {
        let search = try CoarseToFineSearch(
            preset: makePreset([GridStage(grid: m)]), region: Self.region,
            keypointCount: 1)
        let points = search.firstStagePoints()
        #expect(points.count == m * m)
        for j in 0..<m {
            for i in 0..<m {
                let p = points[j * m + i]  // row-major: y outer, x inner
                #expect(close(p, Self.centre(Double(i), Double(j), of: Double(m))), "cell (\(i), \(j)): \(p)")
            }
        }
    }

    @Test func wholeImageRegion() throws {
        let r = Box(imageWidth: 640, imageHeight: 480)
        let search = try CoarseToFineSearch(preset: makePreset([GridStage(grid: 4)]), region: r, keypointCount: 1)
        #expect(search.firstStagePoints().prefix(2) == [Point(x: 80, y: 60), Point(x: 240, y: 60)])
        #expect(search.firstStagePoints().last == Point(x: 560, y: 420))
    }

    /// fast's coarse centres (i + 0.5)/10 are dense-30 centres (3i + 1 + 0.5)/30: the lattices nest.
    @Test func coarseCentresAreDenseCentres() throws {
        let plan = try SearchPlan(preset: Repo.preset("fast"))
        let dense = try SearchPlan(preset: Repo.preset("dense30"))
        let denseSet = Set(dense.firstStagePoints())
        #expect(plan.firstStagePoints().allSatisfy { denseSet.contains($0) })
    }

    /// Windows as cell indices of the finer stage, for a survivor at a given coarse cell.
    static func windowCells(_ plan: SearchPlan, stage: Int, survivorCell i: Int, _ j: Int) -> [[Int]] {
        let coarse = plan.firstStagePoints()[j * plan.stages[0].grid + i]
        let step = plan.stages[stage].step
        return plan.window(stage: stage, around: coarse).map { p in
            // Cell n has its centre at (2n + 1) * step / 2 lattice units: 2a / step is odd.
            #expect((2 * p.a) % step == 0 && (2 * p.a / step) % 2 == 1, "\(p) is not a cell centre")
            #expect((2 * p.b) % step == 0 && (2 * p.b / step) % 2 == 1, "\(p) is not a cell centre")
            return [(2 * p.a / step - 1) / 2, (2 * p.b / step - 1) / 2]
        }
    }

    @Test func oddRatioOddGridIsCentred() throws {
        // 10 -> 30: coarse cell 4 is dense cell 13; a 3 x 3 window covers dense cells 12...14.
        let plan = try SearchPlan(
            preset: makePreset([GridStage(grid: 10, topK: 1), GridStage(grid: 3, neighbourhood: 1)]))
        #expect(plan.finestResolution == 30)
        let cells = Self.windowCells(plan, stage: 1, survivorCell: 4, 7)
        #expect(
            cells == [
                [12, 21], [13, 21], [14, 21], [12, 22], [13, 22], [14, 22], [12, 23], [13, 23], [14, 23],
            ])
        // And in pixels: the survivor's own coarse cell split in three.
        let pixels = plan.window(stage: 1, around: plan.firstStagePoints()[7 * 10 + 4]).map {
            plan.pixel($0, in: Self.region)
        }
        #expect(close(pixels[0], Self.centre(12, 21, of: 30)))
        #expect(close(pixels[8], Self.centre(14, 23, of: 30)))
    }

    @Test func evenRatioEvenGridIsCentred() throws {
        // 4 -> 8: coarse cell 1 (centre 1.5/4 = 3/8) lies on a corner of the 8-grid; a 2 x 2
        // window takes cells 2 and 3 on each side of it.
        let plan = try SearchPlan(
            preset: makePreset([GridStage(grid: 4, topK: 1), GridStage(grid: 2, neighbourhood: 1)]))
        #expect(plan.finestResolution == 8)
        #expect(Self.windowCells(plan, stage: 1, survivorCell: 1, 1) == [[2, 2], [3, 2], [2, 3], [3, 3]])
        // A 4 x 4 window over +-1 coarse cell: cells 1...4.
        let wide = try SearchPlan(
            preset: makePreset([GridStage(grid: 4, topK: 1), GridStage(grid: 4, neighbourhood: 2)]))
        #expect(Self.windowCells(wide, stage: 1, survivorCell: 1, 1).map { $0[0] }.prefix(4) == [1, 2, 3, 4])
    }

    @Test func windowsAreClippedToTheRegion() throws {
        let plan = try SearchPlan(
            preset: makePreset([GridStage(grid: 10, topK: 1), GridStage(grid: 3, neighbourhood: 1)]))
        // Corner cell (0, 0) = dense cell (1, 1): its window 0...2 is inside.
        #expect(Self.windowCells(plan, stage: 1, survivorCell: 0, 0).count == 9)
        // With a +-1 coarse-cell window (grid 9, neighbourhood 3) the corner loses 3 cells per axis.
        let wide = try SearchPlan(
            preset: makePreset([GridStage(grid: 10, topK: 1), GridStage(grid: 9, neighbourhood: 3)]))
        let cells = Self.windowCells(wide, stage: 1, survivorCell: 0, 9)
        #expect(cells.count == 6 * 6)
        #expect(cells.allSatisfy { $0[0] >= 0 && $0[0] <= 5 && $0[1] >= 24 && $0[1] <= 29 })
        // Same spacing, +-1 cell: the 3 x 3 coarse neighbourhood, 4 points at a corner.
        let same = try SearchPlan(
            preset: makePreset([GridStage(grid: 10, topK: 1), GridStage(grid: 3, neighbourhood: 3)]))
        #expect(Self.windowCells(same, stage: 1, survivorCell: 9, 0) == [[8, 0], [9, 0], [8, 1], [9, 1]])
    }

    @Test func threeStageResolution() throws {
        let plan = try SearchPlan(
            preset: makePreset([
                GridStage(grid: 8, topK: 1), GridStage(grid: 2, neighbourhood: 1, topK: 1),
                GridStage(grid: 3, neighbourhood: 1),
            ]))
        #expect(plan.stages.map(\.resolution) == [8, 16, 48])
        #expect(plan.finestResolution == 48)
        #expect(plan.stages.map(\.step) == [12, 6, 2])
    }

    @Test func latticeToPixels() throws {
        let plan = try SearchPlan(preset: makePreset([GridStage(grid: 30)]))
        // Unit = 1 / (2 * 30) of the side; a = 1 is the centre of cell 0.
        #expect(close(plan.pixel(LatticePoint(a: 1, b: 59), in: Self.region), Self.centre(0, 29, of: 30)))
        #expect(
            close(
                plan.pixel(LatticePoint(a: 0, b: 60), in: Self.region),
                Point(x: Self.region.x, y: Self.region.y + Self.region.height)))
    }

    @Test func rowMajorOrder() {
        #expect(LatticePoint(a: 5, b: 1) < LatticePoint(a: 1, b: 2))
        #expect(LatticePoint(a: 1, b: 2) < LatticePoint(a: 2, b: 2))
        #expect(!(LatticePoint(a: 2, b: 2) < LatticePoint(a: 2, b: 2)))
    }
}
