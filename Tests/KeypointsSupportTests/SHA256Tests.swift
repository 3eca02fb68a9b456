import Foundation
import KeypointsTestSupport
import Testing

@testable import KeypointsSupport

/// FIPS 180-2 appendix B and the NIST example values for SHA-256.
@Suite struct SHA256Tests {
    static let vectors: [(message: String, digest: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",  // 448 bits
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ]

    @Test func knownVectors() {
        for v in Self.vectors {
            #expect(SHA256Hasher.hash(Data(v.message.utf8)) == v.digest, "message \"\(v.message)\"")
        }
    }

    @Test func oneMillionA() {
        var h = SHA256Hasher()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { h.update(chunk) }
        #expect(h.byteCount == 1_000_000)
        #expect(h.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Streaming in chunks that straddle block boundaries in every way gives the one-shot digest.
    @Test func chunkingDoesNotMatter() throws {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let reference = try ExternalSHA256.hex(data)
        for step in [1, 3, 55, 56, 63, 64, 65, 127, 128, 999] {
            var h = SHA256Hasher()
            var i = 0
            while i < data.count {
                h.update(data.subdata(in: i..<min(data.count, i + step)))
                i += step
            }
            #expect(h.finalizeHex() == reference, "chunk size \(step)")
        }
    }

    /// Lengths around the padding boundary (55, 56, 64 bytes) against sha256sum.
    @Test func paddingBoundaries() throws {
        for n in [55, 56, 57, 63, 64, 65, 119, 120] {
            let data = Data(repeating: 0x61, count: n)
            #expect(SHA256Hasher.hash(data) == (try ExternalSHA256.hex(data)), "length \(n)")
        }
    }

    /// A file of several 4 MiB read chunks plus a partial one.
    @Test func hashFileMatchesSha256sum() throws {
        var rng = SplitMix64(seed: 3)
        let data = Data((0..<(9 << 20) + 77).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) })
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kp-sha-file-\(UUID().uuidString)")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try SHA256Hasher.hashFile(at: url) == (try ExternalSHA256.hex(data)))
    }

    @Test func hashFileNamesAMissingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/kp-sha-missing")
        #expect(throws: FileReadError.self) { try SHA256Hasher.hashFile(at: url) }
        do {
            _ = try SHA256Hasher.hashFile(at: url)
        } catch {
            #expect(error.path == url.path && error.message.hasPrefix("cannot open for reading"))
        }
    }

    @Test func resetStartsOver() {
        var h = SHA256Hasher()
        h.update(Data("garbage".utf8))
        h.reset()
        h.update(Data("abc".utf8))
        #expect(h.finalizeHex() == Self.vectors[1].digest)
    }
}
