import Foundation
import Imaging
import Testing

@testable import Localization

@Suite("Grid presets")
struct GridPresetTests {
    // MARK: - Shipped files

    @Test func dense30Loads() throws {
        let p = try Repo.preset("dense30")
        #expect(p.name == "dense30")
        #expect(p.stages == [GridStage(grid: 30)])
        #expect(p.marker == .paper)
        #expect(p.fit == .pad)
        let plan = try SearchPlan(preset: p)
        #expect(plan.finestResolution == 30)
    }

    @Test func fastLoads() throws {
        let p = try Repo.preset("fast")
        #expect(p.name == "fast")
        #expect(p.stages.count == 2)
        #expect(p.stages[0].grid == 10)
        #expect(p.stages[1].refinementRatio == 3)
        #expect(p.marker == .paper)
        let plan = try SearchPlan(preset: p)
        // The last stage's lattice is dense30's: 10 cells refined 3 times per side.
        #expect(plan.finestResolution == 30)
        #expect(p.budget?.passes ?? 0 <= 150)
    }

    @Test func everyFileInGridsLoads() throws {
        let dir = Repo.root.appendingPathComponent("grids")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 2)
        for f in files {
            let p = try GridPreset.load(from: dir.appendingPathComponent(f))
            #expect(p.name + ".json" == f, "a preset's name matches its file name")
        }
    }

    @Test func encodeDecodeRoundTrip() throws {
        let p = try Repo.preset("fast")
        let again = try GridPreset.decode(JSONEncoder().encode(p), file: "roundtrip")
        #expect(again == p)
    }

    // MARK: - Errors name the file and the field

    /// A valid two-stage preset as a JSON object, for mutation by the cases below.
    static func base() -> [String: Any] {
        [
            "name": "t", "description": "d",
            "stages": [["grid": 10, "top_k": 2, "separation": 1], ["grid": 3, "neighbourhood": 1]],
            "marker": [
                "shape": "circle", "color": [255, 0, 0], "radius": 0.06, "thickness": 0.01, "units": "fraction",
            ],
            "fit": "pad", "batch": 16, "budget": ["passes": 105],
        ]
    }

    static func decode(_ object: Any, file: String = "grids/bad.json") throws -> GridPreset {
        try GridPreset.decode(JSONSerialization.data(withJSONObject: object), file: file)
    }

    static func stage(_ i: Int, _ edit: (inout [String: Any]) -> Void) -> [String: Any] {
        var b = base()
        var stages = b["stages"] as! [[String: Any]]  // the literal above
        edit(&stages[i])
        b["stages"] = stages
        return b
    }

    static func marker(_ edit: (inout [String: Any]) -> Void) -> [String: Any] {
        var b = base()
        var m = b["marker"] as! [String: Any]  // the literal above
        edit(&m)
        b["marker"] = m
        return b
    }

    @Test func baseIsValid() throws {
        let p = try Self.decode(Self.base())
        #expect(p.budget == PassBudget(passes: 105))
        #expect(p.effectiveBatch == 16)
    }

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let json: @Sendable () -> [String: Any]
        let field: String
        let message: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "missing stages",
            json: {
                var b = base()
                b["stages"] = nil
                return b
            },
            field: "stages", message: "missing required field"),
        Case(
            name: "empty stages",
            json: {
                var b = base()
                b["stages"] = [Any]()
                return b
            },
            field: "stages", message: "expected at least one stage"),
        Case(
            name: "grid 0", json: { stage(1) { $0["grid"] = 0 } },
            field: "stages[1].grid", message: "expected an integer >= 2, got 0"),
        Case(
            name: "grid 1", json: { stage(0) { $0["grid"] = 1 } },
            field: "stages[0].grid", message: "expected an integer >= 2, got 1"),
        Case(
            name: "fractional grid", json: { stage(0) { $0["grid"] = 2.5 } },
            field: "stages[0].grid", message: "got 2.5"),
        Case(
            name: "grid as text", json: { stage(0) { $0["grid"] = "10" } },
            field: "stages[0].grid", message: "got \"10\""),
        Case(
            name: "negative top_k", json: { stage(0) { $0["top_k"] = -1 } },
            field: "stages[0].top_k", message: "expected an integer >= 1, got -1"),
        Case(
            name: "missing top_k before a later stage", json: { stage(0) { $0["top_k"] = nil } },
            field: "stages[0].top_k", message: "missing required field"),
        Case(
            name: "neighbourhood on the first stage", json: { stage(0) { $0["neighbourhood"] = 1 } },
            field: "stages[0].neighbourhood", message: "not allowed on the first stage"),
        Case(
            name: "missing neighbourhood", json: { stage(1) { $0["neighbourhood"] = nil } },
            field: "stages[1].neighbourhood", message: "missing required field"),
        Case(
            name: "zero neighbourhood", json: { stage(1) { $0["neighbourhood"] = 0 } },
            field: "stages[1].neighbourhood", message: "expected a number > 0, got 0"),
        Case(
            name: "fractional refinement ratio", json: { stage(1) { $0["neighbourhood"] = 2 } },
            field: "stages[1].neighbourhood", message: "must be a whole number >= 1"),
        Case(
            name: "coarsening ratio", json: { stage(1) { $0["neighbourhood"] = 6 } },
            field: "stages[1].neighbourhood", message: "must be a whole number >= 1"),
        Case(
            name: "negative margin", json: { stage(0) { $0["margin"] = -0.5 } },
            field: "stages[0].margin", message: "expected a number >= 0, got -0.5"),
        Case(
            name: "negative separation", json: { stage(0) { $0["separation"] = -1 } },
            field: "stages[0].separation", message: "expected a number >= 0, got -1"),
        Case(
            name: "unknown stage field", json: { stage(0) { $0["topk"] = 3 } },
            field: "stages[0].topk", message: "unknown field"),
        Case(
            name: "absurd resolution",
            json: {
                stage(1) {
                    $0["grid"] = 100
                    $0["neighbourhood"] = 0.001
                }
            },
            field: "stages[1]", message: "more than 100000 cells per side"),
        Case(
            name: "huge window grid",
            json: {
                stage(1) {
                    $0["grid"] = 100_000
                    $0["neighbourhood"] = 1
                }
            },
            field: "stages[1].grid", message: "expected an integer <= 100, got 100000"),
        Case(
            name: "ratio past any resolution",
            json: {
                stage(1) {
                    $0["grid"] = 2
                    $0["neighbourhood"] = 1e-300
                }
            },
            field: "stages[1].neighbourhood", message: "must be a whole number"),
        Case(
            name: "unknown fit",
            json: {
                var b = base()
                b["fit"] = "zoom"
                return b
            },
            field: "fit", message: "expected one of \"pad\", \"crop\", \"stretch\", got \"zoom\""),
        Case(
            name: "missing fit",
            json: {
                var b = base()
                b["fit"] = nil
                return b
            },
            field: "fit", message: "missing required field"),
        Case(
            name: "missing marker",
            json: {
                var b = base()
                b["marker"] = nil
                return b
            },
            field: "marker", message: "missing required field"),
        Case(
            name: "unknown shape", json: { marker { $0["shape"] = "star" } },
            field: "marker.shape", message: "got \"star\""),
        Case(
            name: "colour out of range", json: { marker { $0["color"] = [300, 0, 0] } },
            field: "marker.color[0]", message: "expected an integer 0...255, got 300"),
        Case(
            name: "two colour channels", json: { marker { $0["color"] = [255, 0] } },
            field: "marker.color", message: "expected 3 integers"),
        Case(
            name: "radius above one side", json: { marker { $0["radius"] = 2 } },
            field: "marker.radius", message: "<= 1"),
        Case(
            name: "zero thickness", json: { marker { $0["thickness"] = 0 } },
            field: "marker.thickness", message: "expected a number > 0, got 0"),
        Case(
            name: "unknown units", json: { marker { $0["units"] = "inches" } },
            field: "marker.units", message: "got \"inches\""),
        Case(
            name: "batch 0",
            json: {
                var b = base()
                b["batch"] = 0
                return b
            },
            field: "batch", message: "expected an integer >= 1, got 0"),
        Case(
            name: "budget passes 0",
            json: {
                var b = base()
                b["budget"] = ["passes": 0]
                return b
            },
            field: "budget.passes", message: "expected an integer >= 1, got 0"),
        Case(
            name: "old shared budget",
            json: {
                var b = base()
                b["budget"] = ["base": 145, "per_keypoint": 5]
                return b
            },
            field: "budget.base", message: "were replaced by \"passes\""),
        Case(
            name: "empty name",
            json: {
                var b = base()
                b["name"] = ""
                return b
            },
            field: "name", message: "expected a non-empty string"),
        Case(
            name: "unknown top-level field",
            json: {
                var b = base()
                b["stage"] = 1
                return b
            },
            field: "stage", message: "unknown field"),
    ]

    @Test(arguments: cases)
    func invalidFieldIsNamed(_ c: Case) throws {
        let error = #expect(throws: GridPresetError.self) { try Self.decode(c.json()) }
        #expect(error?.field == c.field)
        let text = error?.description ?? ""
        #expect(text.hasPrefix("grids/bad.json: \(c.field): "), "\(text)")
        #expect(text.contains(c.message), "\(text)")
    }

    @Test func messageReadsAsDocumented() throws {
        let error = #expect(throws: GridPresetError.self) {
            try Self.decode(Self.stage(1) { $0["grid"] = 0 }, file: "grids/fast.json")
        }
        #expect(error?.description == "grids/fast.json: stages[1].grid: expected an integer >= 2, got 0")
    }

    @Test func badJSONIsNamed() throws {
        let error = #expect(throws: GridPresetError.self) {
            try GridPreset.decode(Data("{\"name\": \"x\",".utf8), file: "grids/broken.json")
        }
        #expect(error?.field == "(JSON syntax)")
        #expect(error?.description.hasPrefix("grids/broken.json: (JSON syntax): invalid JSON") == true)
    }

    @Test func topLevelArrayIsRejected() throws {
        let error = #expect(throws: GridPresetError.self) { try Self.decode([1, 2]) }
        #expect(error?.field == "(top level)")
    }

    @Test func loadNamesTheFileAsGiven() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gridpreset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.json")
        try JSONSerialization.data(withJSONObject: Self.stage(0) { $0["top_k"] = 0 }).write(to: url)
        let error = #expect(throws: GridPresetError.self) { try GridPreset.load(from: url) }
        #expect(error?.description.hasPrefix(url.path + ": stages[0].top_k: ") == true, "\(String(describing: error))")

        let missing = dir.appendingPathComponent("missing.json")
        let unreadable = #expect(throws: GridPresetError.self) { try GridPreset.load(from: missing) }
        #expect(unreadable?.description.hasPrefix(missing.path + ": cannot read grid preset") == true)
    }

    @Test func fitAndMarkerDecodeIntoImagingTypes() throws {
        var b = Self.base()
        b["fit"] = "crop"
        b["marker"] = ["shape": "cross", "color": [0, 128, 255], "radius": 7, "thickness": 2, "units": "pixels"]
        let p = try Self.decode(b)
        #expect(p.fit == .crop)
        #expect(
            p.marker == MarkerStyle(shape: .cross, color: RGB(0, 128, 255), radius: 7, thickness: 2, units: .pixels))
        #expect(Localizer.defaultOptions(for: p).prompt == .marker(p.marker))
    }

    /// Bad enum-like values in a preset FILE are reported with that file's path and the field
    /// (they were once converted late, with "(preset)" in place of the file).
    static let enumCases: [Case] = [
        Case(
            name: "unknown fit",
            json: {
                var b = base()
                b["fit"] = "letterbox"
                return b
            },
            field: "fit", message: "expected one of \"pad\", \"crop\", \"stretch\", got \"letterbox\""),
        Case(
            name: "unknown marker shape", json: { marker { $0["shape"] = "star" } }, field: "marker.shape",
            message: "expected one of \"circle\", \"square\", \"cross\", \"arrow\", got \"star\""),
        Case(
            name: "unknown marker units", json: { marker { $0["units"] = "inches" } }, field: "marker.units",
            message: "expected one of \"fraction\", \"pixels\", got \"inches\""),
    ]

    /// Bad enum-like values in a preset FILE are reported with that file's path and the field
    /// (they were once converted late, with "(preset)" in place of the file).
    @Test(arguments: enumCases)
    func badFitOrMarkerInAFileNamesTheFileAndField(_ c: Case) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gridpreset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("custom.json")
        try JSONSerialization.data(withJSONObject: c.json()).write(to: url)
        let error = #expect(throws: GridPresetError.self) { try GridPreset.load(from: url) }
        #expect(error?.field == c.field)
        #expect(error?.description == "\(url.path): \(c.field): \(c.message)")
    }

    @Test func inMemoryMarkerIsCheckedByTheFileRules() throws {
        var p = makePreset([GridStage(grid: 10)])
        p.marker = MarkerStyle(radius: 2, units: .fraction)
        let error = #expect(throws: GridPresetError.self) { try p.validate(file: "memory") }
        #expect(
            error?.description.hasPrefix("memory: marker.radius: expected a fraction of the input side <= 1") == true,
            "\(String(describing: error))")
    }

    @Test func inMemoryPresetsAreCheckedByTheSameRules() throws {
        let bad = makePreset([GridStage(grid: 10, topK: 1), GridStage(grid: 3, neighbourhood: 2)])
        let error = #expect(throws: GridPresetError.self) { try bad.validate(file: "memory") }
        #expect(error?.field == "stages[1].neighbourhood")
        #expect(throws: GridPresetError.self) { _ = try SearchPlan(preset: bad) }
        #expect(throws: GridPresetError.self) {
            _ = try CoarseToFineSearch(preset: bad, region: Box(imageWidth: 10, imageHeight: 10), keypointCount: 1)
        }
    }

    @Test func refinementRatios() {
        #expect(GridStage(grid: 3, neighbourhood: 1).refinementRatio == 3)
        #expect(GridStage(grid: 4, neighbourhood: 2).refinementRatio == 2)
        #expect(GridStage(grid: 3, neighbourhood: 1.5).refinementRatio == 2)
        #expect(GridStage(grid: 3, neighbourhood: 3).refinementRatio == 1)
        #expect(GridStage(grid: 3, neighbourhood: 2).refinementRatio == nil)
        #expect(GridStage(grid: 3).refinementRatio == nil)
    }
}
