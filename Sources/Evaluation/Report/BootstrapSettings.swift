/// How `PCKBootstrap` computes confidence intervals: the interval's level, the number of
/// resamples and the seed of their draws. Checked on creation: a level outside (0, 1) or a
/// resample count outside `resampleRange` is an `EvaluationError.bootstrapSetting`.
///
/// JSON (the top-level `"bootstrap"` object of a report with intervals): `{"level": 0.95,
/// "resamples": 1000, "seed": 0, "unit": "image", "stratified_by": "category"}` (`null` when
/// not `stratified`).
public struct BootstrapSettings: Sendable, Equatable, Codable {
    /// What a value sets, named in errors (the CLI maps each to its option).
    public enum Setting: String, Sendable, Equatable {
        case level
        case resamples
    }

    /// The usual two-sided level of a reported interval.
    public static let defaultLevel = 0.95
    /// Enough resamples for the 2.5th and 97.5th percentiles to move by well under a tenth of
    /// the interval's width between seeds (the Monte Carlo error of a percentile falls as
    /// 1/sqrt(resamples)); about 0.1 s for CUB's 5,794 test images.
    public static let defaultResamples = 1000
    /// Fewer than 100 resamples leave at most 2 values beyond a 95% interval's ends, too few to
    /// place them; beyond 100,000 the Monte Carlo error is far below the sampling error, and the
    /// figures x resamples values held for the percentiles grow large (`maxValues`).
    public static let resampleRange = 100...100_000
    /// Resampled figures held at once (rows x resamples, 8 bytes each: 256 MiB). A report of
    /// 200 categories and 15 keypoints holds 217 figures, so 100,000 resamples fit.
    public static let maxValues = 32 << 20

    /// Two-sided coverage of the interval, in (0, 1).
    public let level: Double
    /// Resamples drawn, in `resampleRange`.
    public let resamples: Int
    /// Seed of the resamples' SplitMix64 stream: the same seed gives the same intervals on every
    /// machine.
    public let seed: UInt64
    /// Whether each category keeps its image count in every resample (the default). Without,
    /// the images of all categories are drawn together: for categories of very few images,
    /// whose within-category resamples hardly vary (`PCKBootstrap.fewImagesNote`).
    public let stratified: Bool

    /// - Throws: `EvaluationError.bootstrapSetting` naming the setting and its range.
    public init(
        level: Double = defaultLevel, resamples: Int = defaultResamples, seed: UInt64 = 0, stratified: Bool = true
    ) throws(EvaluationError) {
        guard level.isFinite && level > 0 && level < 1 else {
            throw .bootstrapSetting(setting: .level, value: "\(level)", expected: "a level in (0, 1), e.g. 0.95")
        }
        guard Self.resampleRange.contains(resamples) else {
            throw .bootstrapSetting(
                setting: .resamples, value: "\(resamples)",
                expected: "\(Self.resampleRange.lowerBound)...\(Self.resampleRange.upperBound) resamples")
        }
        self.level = level
        self.resamples = resamples
        self.seed = seed
        self.stratified = stratified
    }

    /// The percentiles of the resampled figures that bound the interval: (1 - level) / 2 and
    /// 1 - (1 - level) / 2.
    var tails: (low: Double, high: Double) {
        let tail = (1 - level) / 2
        return (tail, 1 - tail)
    }

    /// The line under a table with intervals: what the brackets are.
    public var legend: String {
        String(format: "%g", 100 * level)
            + "% confidence intervals in brackets: percentile bootstrap over images"
            + (stratified ? ", stratified by category" : ", not stratified")
            + " (\(resamples) resamples, seed \(seed))"
    }

    enum CodingKeys: String, CodingKey {
        case level, resamples, seed, unit
        case stratifiedBy = "stratified_by"
    }

    /// Reads `level`, `resamples` and `seed` (checked as by `init`); `unit` and `stratified_by`
    /// are what this type always does.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            level: c.decode(Double.self, forKey: .level), resamples: c.decode(Int.self, forKey: .resamples),
            seed: c.decode(UInt64.self, forKey: .seed),
            stratified: c.decodeIfPresent(String.self, forKey: .stratifiedBy) != nil)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(level, forKey: .level)
        try c.encode(resamples, forKey: .resamples)
        try c.encode(seed, forKey: .seed)
        try c.encode("image", forKey: .unit)
        try c.encode(stratified ? "category" : nil, forKey: .stratifiedBy)
    }
}

/// A confidence interval of a PCK figure or of a difference between two runs' figures, as
/// fractions: a percentile bootstrap interval (`PCKBootstrap`), or the exact binomial one
/// (`PCKBootstrap.exactBinomial`) for a figure that is a count over images (each image holds at
/// most one of its keypoints: a keypoint's figure or a cell, one run's) or is exactly 0 or 1,
/// which no resample moves.
///
/// JSON `{"low", "high", "method": "bootstrap" | "exact-binomial"}`, with `"every_resample_equal":
/// true` on a bootstrap interval whose resamples all gave the same value (absent otherwise), and
/// `"images": n` on an exact binomial one (its trials; absent on a bootstrap interval).
public struct ConfidenceInterval: Codable, Sendable, Equatable {
    /// How the bounds were found.
    public enum Method: String, Codable, Sendable, Equatable {
        /// Percentiles of the figure over the resamples.
        case bootstrap
        /// Clopper-Pearson, x of n: n the images that hold the figure's keypoints, x its correct
        /// keypoints where each image holds at most one of them, else 0 or n (a figure of 0 or 1).
        case exactBinomial = "exact-binomial"
    }

    public var low: Double
    public var high: Double
    public var method: Method
    /// A bootstrap interval whose resamples all gave the same value (a difference between runs
    /// that score every image alike; a pooled figure of all-right and all-wrong categories,
    /// stratified): its zero width shows no spread in these images, not certainty.
    public var everyResampleEqual: Bool
    /// An exact binomial interval's n: the images (photos, as drawn) that hold the figure's
    /// keypoints, from which its bound follows; nil for a bootstrap interval.
    public var images: Int?

    /// - Parameter images: an exact binomial interval's n (at least 1); nil for a bootstrap one.
    public init(
        low: Double, high: Double, method: Method = .bootstrap, everyResampleEqual: Bool = false, images: Int? = nil
    ) {
        precondition(
            images.map { $0 > 0 && method == .exactBinomial } ?? true,
            "images is the n (at least 1) of an exact binomial interval")
        self.low = low
        self.high = high
        self.method = method
        self.everyResampleEqual = everyResampleEqual
        self.images = images
    }

    /// Whether the interval lies wholly above or wholly below 0 (for a difference: the runs
    /// differ at the interval's level).
    public var excludesZero: Bool { low > 0 || high < 0 }

    enum CodingKeys: String, CodingKey {
        case low, high, method, images
        case everyResampleEqual = "every_resample_equal"
    }

    /// Reads `low` and `high`; `method` defaults to bootstrap, `every_resample_equal` to false
    /// and `images` to none (intervals written before they existed).
    /// - Throws: `DecodingError.dataCorrupted` at `images` when it is below 1 or on a bootstrap
    ///   interval.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        low = try c.decode(Double.self, forKey: .low)
        high = try c.decode(Double.self, forKey: .high)
        method = try c.decodeIfPresent(Method.self, forKey: .method) ?? .bootstrap
        everyResampleEqual = try c.decodeIfPresent(Bool.self, forKey: .everyResampleEqual) ?? false
        images = try c.decodeIfPresent(Int.self, forKey: .images)
        guard let images else { return }
        guard method == .exactBinomial else {
            throw DecodingError.dataCorruptedError(
                forKey: .images, in: c,
                debugDescription: "images \(images) on a \(method.rawValue) interval: only an exact-binomial one has n")
        }
        guard images >= 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .images, in: c,
                debugDescription: "images \(images): an exact-binomial interval's n is at least 1")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(low, forKey: .low)
        try c.encode(high, forKey: .high)
        try c.encode(method, forKey: .method)
        if everyResampleEqual { try c.encode(true, forKey: .everyResampleEqual) }
        if method == .exactBinomial, let images { try c.encode(images, forKey: .images) }
    }
}

extension ConfidenceInterval {
    /// "[29.80, 34.90]": the bounds in percent with `decimals` decimals, followed by the
    /// interval's `marker` (nothing for an ordinary bootstrap interval).
    public static func bracketed(_ ci: ConfidenceInterval, decimals: Int) -> String {
        let number = "%.\(decimals)f"
        return String(format: "[\(number), \(number)]", 100 * ci.low, 100 * ci.high) + ci.marker
    }

    /// Marks, in a table, an interval that is not an ordinary percentile bootstrap one: `^` exact
    /// binomial, `=` every resample equal; explained by `footnotes`.
    public var marker: String {
        if method == .exactBinomial { return Self.exactMarker }
        return everyResampleEqual ? Self.equalMarker : ""
    }

    /// The interval's kind in a CSV column: `bootstrap`, `exact-binomial`, or
    /// `bootstrap-every-resample-equal`.
    public var csvMethod: String {
        method.rawValue + (method == .bootstrap && everyResampleEqual ? "-every-resample-equal" : "")
    }

    static let exactMarker = "^"
    static let equalMarker = "="

    /// The lines under a table explaining the markers of `intervals` (one per marker used, in
    /// the order `^`, `=`; none when every interval is an ordinary bootstrap one).
    public static func footnotes(_ intervals: [ConfidenceInterval?], level: Double) -> [String] {
        var lines: [String] = []
        if intervals.contains(where: { $0?.method == .exactBinomial }) {
            lines.append(
                exactMarker + " " + String(format: "%g", 100 * level)
                    + "% exact binomial (Clopper-Pearson) interval over the images that hold the figure's "
                    + "keypoints: where each image holds at most one of them the figure is a count over "
                    + "images; at 0% or 100% the bootstrap has no spread to show")
        }
        if intervals.contains(where: { $0?.method == .bootstrap && $0?.everyResampleEqual == true }) {
            lines.append(
                equalMarker + " every resample gave the same value (for a difference: the runs score the "
                    + "images alike on it): the bootstrap shows no spread in these images, which is not certainty")
        }
        return lines
    }
}
