import Foundation
import Imaging
import Testing

@testable import Localization

/// `localize --boxes FILE.csv`: one box per photo.
@Suite struct PhotoBoxesTests {
    static let folder = URL(fileURLWithPath: "/data/run")

    static func parse(_ text: String) throws -> PhotoBoxes {
        try PhotoBoxes.parse(Data(text.utf8), file: "boxes.csv", folder: folder)
    }

    static func failure(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "(no error)"
        } catch {
            return "\(error)"
        }
    }

    @Test func rowsAreBoxesOfPhotosRelativeToTheFilesFolder() throws {
        let boxes = try Self.parse(
            "image,x,y,w,h\nbirds/a.jpg,40,30,400,300\r\n\n/photos/b.png, 0 ,12.5,220,180\nodd,name.jpg,1,2,3,4\n")
        #expect(boxes.count == 3)
        #expect(boxes.box(forPhoto: "/data/run/birds/a.jpg") == Box(x: 40, y: 30, width: 400, height: 300))
        #expect(boxes.box(forPhoto: "/data/run/birds/../birds/./a.jpg") == Box(x: 40, y: 30, width: 400, height: 300))
        #expect(boxes.box(forPhoto: "/photos/b.png") == Box(x: 0, y: 12.5, width: 220, height: 180))
        #expect(boxes.box(forPhoto: "/data/run/odd,name.jpg") == Box(x: 1, y: 2, width: 3, height: 4))
        #expect(boxes.box(forPhoto: "/data/run/c.jpg") == nil)
        // A quoted path (spreadsheets, pandas) is unquoted, "" being a quote.
        let quoted = try Self.parse("image,x,y,w,h\n\"c d,\u{E9}.jpg\",0,0,50,50\n\"say \"\"hi\"\".png\",1,1,2,2\n")
        #expect(quoted.box(forPhoto: "/data/run/c d,\u{E9}.jpg") == Box(x: 0, y: 0, width: 50, height: 50))
        #expect(quoted.box(forPhoto: "/data/run/say \"hi\".png") == Box(x: 1, y: 1, width: 2, height: 2))
        // The header may be spaced or capitalised; a file with only the header holds no box.
        #expect(try Self.parse(" Image , X,y,W,h \n").count == 0)
    }

    @Test func badFilesAreErrorsNamingFileAndLine() {
        #expect(Self.failure("") == "boxes.csv line 1: empty; expected the header \"image,x,y,w,h\"")
        #expect(Self.failure("a.jpg,1,2,3,4\n").contains("boxes.csv line 1: expected the header"))
        #expect(
            Self.failure("image,x,y,w,h\na.jpg,1,2,3\n") == "boxes.csv line 2: expected image,x,y,w,h (5 fields), got 4"
        )
        #expect(Self.failure("image,x,y,w,h\n,1,2,3,4\n") == "boxes.csv line 2: the image path is empty")
        #expect(
            Self.failure("image,x,y,w,h\na.jpg,1,two,3,4\n").contains("line 2: y \"two\": expected a finite number"))
        #expect(
            Self.failure("image,x,y,w,h\na.jpg,1,2,nan,4\n").contains("line 2: w \"nan\": expected a finite number"))
        #expect(Self.failure("image,x,y,w,h\na.jpg,1,2,1e999,4\n").contains("w \"1e999\": expected a finite number"))
        #expect(Self.failure("image,x,y,w,h\na.jpg,1,2,0,4\n").contains("line 2: box"))
        #expect(
            Self.failure("image,x,y,w,h\na.jpg,1,2,3,4\n./a.jpg,5,6,7,8\n")
                == "boxes.csv line 3: ./a.jpg already has a box on line 2; give each photo one row")
        #expect(
            (try? PhotoBoxes.parse(Data([0x69, 0xFF, 0xFE]), file: "boxes.csv", folder: Self.folder)) == nil)
        // Decimal numbers only (Swift's Double reads "0x10" as 16).
        #expect(Self.failure("image,x,y,w,h\na.jpg,0x10,2,3,4\n").contains("x \"0x10\": expected a finite number"))
    }
}
