import Foundation
import Testing

@testable import Imaging

@Suite("Visual prompts")
struct MarkerVisualPromptTests {
    /// A textured 96x80 canvas (so blur and grey change it almost everywhere).
    static func texture(width: Int = 96, height: Int = 80) -> RGBImage {
        var img = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let checker = ((x / 3 + y / 3) % 2) * 120
                img[x, y] = RGB(UInt8(60 + checker), UInt8((x * 2) % 200 + 20), UInt8((y * 3) % 180 + 40))
            }
        }
        return img
    }

    /// Distance from pixel (x, y)'s centre to point c.
    static func distance(_ x: Int, _ y: Int, _ c: CanvasPoint) -> Double {
        let dx = Double(x) + 0.5 - c.x
        let dy = Double(y) + 0.5 - c.y
        return (dx * dx + dy * dy).squareRoot()
    }

    // A pixel is surely inside a disk of radius R if its centre is within R - sqrt(2)/2, surely
    // outside if beyond R + sqrt(2)/2 (a pixel reaches sqrt(2)/2 from its centre).
    static let halfDiagonal = 0.7072

    @Test("blur outside: inside the circle unchanged, outside blurred")
    func blurOutside() throws {
        let canvas = Self.texture()
        let style = MarkerStyle(radius: 12, thickness: 2, units: .pixels)  // ring [11, 13]
        let r = try VisualPromptRenderer(prompt: .markerBlurOutside(style, sigma: 3), canvas: canvas)
        let c = CanvasPoint(x: 40.3, y: 37.8)
        let out = r.render(at: c)
        let blurred = CanvasOps.gaussianBlurred(canvas, sigma: 3)
        var changedOutside = 0
        var outsideCount = 0
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                let d = Self.distance(x, y, c)
                if d < 11 - Self.halfDiagonal {
                    #expect(out[x, y] == canvas[x, y], "inside pixel (\(x), \(y)) changed")
                } else if d > 13 + Self.halfDiagonal {
                    #expect(out[x, y] == blurred[x, y], "outside pixel (\(x), \(y)) is not the blurred canvas")
                    outsideCount += 1
                    if out[x, y] != canvas[x, y] { changedOutside += 1 }
                }
            }
        }
        // The checker texture blurs into something else nearly everywhere.
        #expect(Double(changedOutside) > 0.9 * Double(outsideCount))
        // The ring itself is drawn: pixel straight right of the centre at distance 12.
        #expect(out[52, 37] == RGB(255, 0, 0))
    }

    @Test("grey outside: inside unchanged, outside grey (R = G = B)")
    func greyOutside() throws {
        let canvas = Self.texture()
        let style = MarkerStyle(radius: 10, thickness: 2, units: .pixels)  // ring [9, 11]
        let r = try VisualPromptRenderer(prompt: .markerGreyOutside(style), canvas: canvas)
        let c = CanvasPoint(x: 60, y: 30)
        let out = r.render(at: c)
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                let d = Self.distance(x, y, c)
                if d < 9 - Self.halfDiagonal {
                    #expect(out[x, y] == canvas[x, y])
                } else if d > 11 + Self.halfDiagonal {
                    let p = out[x, y]
                    let q = canvas[x, y]
                    #expect(p.r == p.g && p.g == p.b)
                    // Pillow's convert("L"): (R*19595 + G*38470 + B*7471 + 0x8000) >> 16.
                    let luma = (Int(q.r) * 19595 + Int(q.g) * 38470 + Int(q.b) * 7471 + 0x8000) >> 16
                    #expect(Int(p.r) == luma)
                }
            }
        }
    }

    @Test("grey luma matches Pillow on known colours")
    func pillowLuma() {
        // Python: from PIL import Image; [Image.new("RGB", (1, 1), c).convert("L").getpixel((0, 0))
        //   for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (12, 200, 99)]]
        //   -> [76, 150, 29, 255, 132]
        var img = RGBImage(width: 5, height: 1)
        let colors = [RGB(255, 0, 0), RGB(0, 255, 0), RGB(0, 0, 255), RGB(255, 255, 255), RGB(12, 200, 99)]
        for (i, c) in colors.enumerated() { img[i, 0] = c }
        let grey = CanvasOps.greyscale(img)
        #expect((0..<5).map { grey[$0, 0].r } == [76, 150, 29, 255, 132])
    }

    @Test("blur/grey render into a reused buffer without leftovers")
    func reusedBuffer() throws {
        let canvas = Self.texture()
        let r = try VisualPromptRenderer(prompt: .markerBlurOutside(.paper, sigma: 2), canvas: canvas)
        var buffer = r.makeOutputBuffer()
        r.render(at: CanvasPoint(x: 10, y: 10), into: &buffer)
        r.render(at: CanvasPoint(x: 70, y: 50), into: &buffer)
        #expect(buffer == r.render(at: CanvasPoint(x: 70, y: 50)))
    }

    @Test("plain marker prompt equals MarkerRenderer")
    func markerPrompt() throws {
        let canvas = Self.texture()
        let r = try VisualPromptRenderer(prompt: .paper, canvas: canvas)
        var expected = canvas
        MarkerRenderer(style: .paper, canvasWidth: 96, canvasHeight: 80).draw(
            on: &expected, at: CanvasPoint(x: 33, y: 21))
        #expect(r.render(at: CanvasPoint(x: 33, y: 21)) == expected)
    }

    @Test("VisualPrompt JSON round trip and errors")
    func promptJSON() throws {
        let prompts: [VisualPrompt] = [
            .paper, .markerBlurOutside(.paper, sigma: 4), .markerGreyOutside(MarkerStyle(shape: .arrow)),
            .crop(.fraction(0.3)), .crop(.pixels(64)),
        ]
        for p in prompts {
            #expect(try JSONDecoder().decode(VisualPrompt.self, from: JSONEncoder().encode(p)) == p)
        }
        let decoded = try JSONDecoder().decode(VisualPrompt.self, from: Data(#"{"type": "markerGreyOutside"}"#.utf8))
        #expect(decoded == .markerGreyOutside(.paper))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(VisualPrompt.self, from: Data(#"{"type": "crop", "fraction": 1.5}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(VisualPrompt.self, from: Data(#"{"type": "crop", "pixels": 0}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(VisualPrompt.self, from: Data(#"{"type": "markerBlurOutside"}"#.utf8))
        }
        #expect(throws: CanvasError.self) {
            try VisualPromptRenderer(prompt: .markerBlurOutside(.paper, sigma: 0), canvas: Self.texture())
        }
    }
}
