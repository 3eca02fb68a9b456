import Foundation
import KeypointsSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Errors reading a safetensors file. Every case names the file.
public enum SafeTensorsError: RawMessageError, Equatable {
    case cannotOpen(path: String, reason: String)
    case tooSmall(path: String, size: Int)
    case headerSize(path: String, claimed: UInt64, fileSize: Int)
    case headerNotJSON(path: String, reason: String)
    case badEntry(path: String, key: String, reason: String)
    case unknownDType(path: String, key: String, dtype: String)
    case outOfRange(path: String, key: String, begin: Int, end: Int, dataSize: Int)
    case sizeMismatch(path: String, key: String, shape: [Int], dtype: String, bytes: Int)
    case overlap(path: String, key: String, other: String)
    case missingKey(path: String, key: String)
    case wrongDType(path: String, key: String, expected: String, actual: String)
    /// A size read from the file is over one of `SafeTensorsLimits`.
    case tooLarge(path: String, what: String, value: UInt64, limit: String, maximum: Int)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .cannotOpen(let p, let r): return "\(p): cannot open: \(r)"
        case .tooSmall(let p, let s):
            return "\(p): not a safetensors file: \(s) bytes, need at least 8 for the header size"
        case .headerSize(let p, let c, let f):
            return "\(p): header claims \(c) bytes but the file has only \(f) bytes (truncated or not safetensors)"
        case .headerNotJSON(let p, let r): return "\(p): header is not a JSON object: \(r)"
        case .badEntry(let p, let k, let r): return "\(p): tensor '\(k)': \(r)"
        case .unknownDType(let p, let k, let d):
            return
                "\(p): tensor '\(k)': unknown dtype '\(d)' (expected one of \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .outOfRange(let p, let k, let b, let e, let d):
            return "\(p): tensor '\(k)': data_offsets [\(b), \(e)] outside the data section of \(d) bytes"
        case .sizeMismatch(let p, let k, let s, let d, let b):
            return
                "\(p): tensor '\(k)': shape \(s) of \(d) needs \(Self.byteCountText(shape: s, dtype: d)) bytes but data_offsets span \(b)"
        case .overlap(let p, let k, let o): return "\(p): tensor '\(k)' overlaps tensor '\(o)'"
        case .missingKey(let p, let k): return "\(p): no tensor '\(k)'"
        case .wrongDType(let p, let k, let e, let a): return "\(p): tensor '\(k)': expected dtype \(e), found \(a)"
        case .tooLarge(let p, let what, let value, let limit, let maximum):
            return "\(p): \(what) \(value) is over the limit \(limit) = \(maximum)"
        }
    }

    /// shape x dtype size in bytes, or "more than Int.max" when that product overflows.
    static func byteCountText(shape: [Int], dtype: String) -> String {
        var product = SafeTensorsDType(rawValue: dtype)?.size ?? 1
        for d in shape {
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            if overflow { return "more than \(Int.max)" }
            product = p
        }
        return "\(product)"
    }
}

public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u8 = "U8"
    case bool = "BOOL"

    public var size: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }
}

/// Bounds on what a safetensors header may state, checked before anything is built from it.
public enum SafeTensorsLimits {
    /// Header JSON bytes: the reference implementation's own limit (safetensors MAX_HEADER_SIZE).
    public static let headerBytes = 100_000_000
    /// Tensors in one file (a ViT-bigG CLIP has under 1,000).
    public static let tensors = 100_000
    /// Dimensions of one tensor.
    public static let rank = 8
}

/// One tensor's header entry, validated against the file.
public struct SafeTensorsEntry: Sendable, Equatable {
    public let key: String
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// Byte range relative to the start of the data section.
    public let begin: Int
    public let end: Int
    public var count: Int { shape.reduce(1, *) }
}

/// A memory-mapped safetensors file (https://github.com/huggingface/safetensors format:
/// u64 little-endian header size N, N bytes of JSON, then the data section).
///
/// The header is checked completely before any tensor is read: size, JSON shape, known dtypes,
/// offsets inside the data section, byte counts equal to shape x dtype size, no overlaps.
/// Never unpickles anything.
public final class SafeTensorsFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and immutable after init; unmapped in deinit.
    public let path: String
    public let entries: [String: SafeTensorsEntry]
    public let metadata: [String: String]
    private let base: UnsafeRawPointer
    private let mappedSize: Int
    private let dataOffset: Int

    public init(url: URL) throws(SafeTensorsError) {
        let path = url.path
        self.path = path
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw .cannotOpen(path: path, reason: "is a directory") }
        if (st.st_mode & S_IFMT) != S_IFREG { throw .cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        guard size >= 8 else { throw .tooSmall(path: path, size: size) }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        let raw = UnsafeRawPointer(map)
        var ok = false
        defer { if !ok { munmap(map, size) } }

        let headerSize = raw.loadUnaligned(as: UInt64.self).littleEndian
        guard headerSize <= UInt64(size - 8) else {
            throw .headerSize(path: path, claimed: headerSize, fileSize: size)
        }
        guard headerSize <= UInt64(SafeTensorsLimits.headerBytes) else {
            throw .tooLarge(
                path: path, what: "header size", value: headerSize, limit: "SafeTensorsLimits.headerBytes",
                maximum: SafeTensorsLimits.headerBytes)
        }
        let n = Int(headerSize)
        let headerData = Data(bytes: raw + 8, count: n)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerData) } catch {
            throw .headerNotJSON(path: path, reason: "\(error.localizedDescription)")
        }
        guard let object = json as? [String: Any] else {
            throw .headerNotJSON(path: path, reason: "top level is not an object")
        }
        guard object.count <= SafeTensorsLimits.tensors + 1 else {
            throw .tooLarge(
                path: path, what: "tensor count", value: UInt64(object.count), limit: "SafeTensorsLimits.tensors",
                maximum: SafeTensorsLimits.tensors)
        }
        let dataSize = size - 8 - n
        var entries: [String: SafeTensorsEntry] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in object {
            if key == "__metadata__" {
                if let m = value as? [String: Any] {
                    for (mk, mv) in m { metadata[mk] = "\(mv)" }
                }
                continue
            }
            guard let info = value as? [String: Any] else {
                throw .badEntry(path: path, key: key, reason: "entry is not an object")
            }
            guard let dtypeName = info["dtype"] as? String else {
                throw .badEntry(path: path, key: key, reason: "missing string field 'dtype'")
            }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw .unknownDType(path: path, key: key, dtype: dtypeName)
            }
            guard let shapeAny = info["shape"] as? [Any],
                let shape = Self.integers(shapeAny), shape.allSatisfy({ $0 >= 0 })
            else {
                throw .badEntry(path: path, key: key, reason: "field 'shape' must be a list of non-negative integers")
            }
            guard shape.count <= SafeTensorsLimits.rank else {
                throw .badEntry(
                    path: path, key: key,
                    reason:
                        "\(shape.count) dimensions, over the limit SafeTensorsLimits.rank = \(SafeTensorsLimits.rank)")
            }
            guard let offsetsAny = info["data_offsets"] as? [Any], let offsets = Self.integers(offsetsAny),
                offsets.count == 2, offsets[0] >= 0, offsets[1] >= offsets[0]
            else {
                throw .badEntry(
                    path: path, key: key, reason: "field 'data_offsets' must be [begin, end] with 0 <= begin <= end")
            }
            guard offsets[1] <= dataSize else {
                throw .outOfRange(path: path, key: key, begin: offsets[0], end: offsets[1], dataSize: dataSize)
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, count.multipliedReportingOverflow(by: dtype.size).partialValue == offsets[1] - offsets[0],
                !count.multipliedReportingOverflow(by: dtype.size).overflow
            else {
                throw .sizeMismatch(
                    path: path, key: key, shape: shape, dtype: dtypeName, bytes: offsets[1] - offsets[0])
            }
            entries[key] = SafeTensorsEntry(key: key, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        let sorted = entries.values.filter { $0.end > $0.begin }.sorted { ($0.begin, $0.key) < ($1.begin, $1.key) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.begin < a.end {
            throw .overlap(path: path, key: b.key, other: a.key)
        }
        self.entries = entries
        self.metadata = metadata
        self.base = raw
        self.mappedSize = size
        self.dataOffset = 8 + n
        ok = true
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), mappedSize) }

    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let number = v as? NSNumber else { return nil }
            let d = number.doubleValue
            guard d == d.rounded(), d >= -9.0e15, d <= 9.0e15 else { return nil }
            out.append(number.intValue)
        }
        return out
    }

    public var keys: [String] { entries.keys.sorted() }

    public func entry(_ key: String) throws(SafeTensorsError) -> SafeTensorsEntry {
        guard let e = entries[key] else { throw .missingKey(path: path, key: key) }
        return e
    }

    /// The tensor converted to Float32 (F32, F16, BF16, F64 and integer types), row-major.
    public func floats(_ key: String) throws(SafeTensorsError) -> [Float] {
        let e = try entry(key)
        let p = base + dataOffset + e.begin
        let n = e.count
        switch e.dtype {
        case .f32:
            return [Float](unsafeUninitializedCapacity: n) { buf, initialized in
                memcpy(buf.baseAddress!, p, n * 4)
                initialized = n
            }
        case .f16:
            return (0..<n).map { Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .bf16:
            return (0..<n).map {
                Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16)
            }
        case .f64:
            return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
        case .i64:
            return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .i32:
            return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        case .i16:
            return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        case .i8:
            return (0..<n).map { Float(p.load(fromByteOffset: $0, as: Int8.self)) }
        case .u8, .bool:
            return (0..<n).map { Float(p.load(fromByteOffset: $0, as: UInt8.self)) }
        }
    }

    /// An integer tensor (I64, I32, I16, I8, U8) as Int.
    public func integers(_ key: String) throws(SafeTensorsError) -> [Int] {
        let e = try entry(key)
        let p = base + dataOffset + e.begin
        switch e.dtype {
        case .i64: return (0..<e.count).map { Int(p.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .i32: return (0..<e.count).map { Int(p.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        case .i16: return (0..<e.count).map { Int(p.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        case .i8: return (0..<e.count).map { Int(p.load(fromByteOffset: $0, as: Int8.self)) }
        case .u8: return (0..<e.count).map { Int(p.load(fromByteOffset: $0, as: UInt8.self)) }
        default: throw .wrongDType(path: path, key: key, expected: "an integer type", actual: e.dtype.rawValue)
        }
    }
}

/// Writes a safetensors file of F32 tensors (tests and tools), atomically.
public enum SafeTensorsWriter {
    public static func write(_ tensors: [(key: String, shape: [Int], values: [Float])], to url: URL) throws {
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var offset = 0
        var payload = Data()
        for t in tensors {
            let bytes = t.values.count * 4
            header[t.key] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
            t.values.withUnsafeBytes { payload.append(contentsOf: $0) }
        }
        try write(header: header, data: payload, to: url)
    }

    /// Writes a header object as given (not checked: tests write malformed ones) followed by
    /// `data`, the JSON padded to a multiple of 8 bytes as the format recommends.
    public static func write(header: [String: Any], data payload: Data, to url: URL) throws {
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data()
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(payload)
        try data.write(to: url, options: .atomic)
    }
}
