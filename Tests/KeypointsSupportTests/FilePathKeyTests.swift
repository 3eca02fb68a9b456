import Foundation
import KeypointsSupport
import Testing

@Suite struct FilePathKeyTests {
    @Test func spellingsOfOnePathAreOneKey() {
        let cwd = FileManager.default.currentDirectoryPath
        #expect(FilePathKey("photos/a.jpg") == FilePathKey(cwd + "/photos/a.jpg"))
        #expect(FilePathKey("/data/x/../photos/./a.jpg") == FilePathKey("/data/photos/a.jpg"))
        #expect(FilePathKey("/data/photos/a.jpg").path == "/data/photos/a.jpg")
        #expect(FilePathKey("/data/photos/a.jpg") != FilePathKey("/data/photos/b.jpg"))
    }

    /// Review finding: "café" with a precomposed é (NFC) and with e + U+0301 (NFD) are two files
    /// on Linux, but equal Swift strings; the key compares bytes.
    @Test func unicodeFormsAreDifferentFiles() {
        let nfc = "/photos/caf\u{E9}.jpg"
        let nfd = "/photos/cafe\u{301}.jpg"
        #expect(nfc == nfd)  // what made String keys wrong
        #expect(FilePathKey(nfc) != FilePathKey(nfd))
        #expect(Set([FilePathKey(nfc), FilePathKey(nfd)]).count == 2)
    }
}
