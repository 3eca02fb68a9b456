// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "keypoints",
    products: [
        .executable(name: "keypoints", targets: ["KeypointsCLI"]),
        .library(
            name: "KeypointsKit",
            targets: [
                "KeypointsSupport", "Tensor", "TensorDNNL", "CLIP", "Imaging", "Saliency", "Localization", "Evaluation",
                "ModelStore",
            ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // MARK: - System libraries and C shims
        // OpenBLAS is not linked at build time: COpenBLAS dlopens it after choosing
        // OPENBLAS_CORETYPE (the library reads that variable in its load-time constructor,
        // so it must be set before the library is loaded). See Sources/COpenBLAS/kp_blas.c.
        .target(name: "COpenBLAS", linkerSettings: [.linkedLibrary("dl")]),
        // fp32 softmax / GELU / LayerNorm with AVX-512 and AVX2 variants chosen at run time
        // (Swift builds for baseline x86-64 and a dependency cannot pass unsafeFlags).
        .target(name: "CKernels"),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // oneDNN for the second matrix-product backend (TensorDNNL).
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // setjmp/longjmp error handling of libjpeg and libpng cannot live in Swift; zlib (libpng's
        // own dependency) inflates PNG text chunks for the EXIF/XMP orientation reader.
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"], linkerSettings: [.linkedLibrary("z")]),

        // MARK: - Layers (one direction of dependency)
        // Utilities every layer may use and that depend on nothing but Foundation: strict JSON
        // reading, SHA-256, SplitMix64, FNV-1a, monotonic timing, size-capped regular-file reads.
        .target(name: "KeypointsSupport"),
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CKernels", "KeypointsSupport"]),
        .target(name: "TensorDNNL", dependencies: ["Tensor", "CDNNL", "KeypointsSupport"]),
        .target(name: "CLIP", dependencies: ["Tensor", "KeypointsSupport"]),
        // Model registry, download cache and verification; independent of the model code.
        .target(name: "ModelStore", dependencies: ["KeypointsSupport"]),
        .target(name: "Imaging", dependencies: ["CImageCodecs", "KeypointsSupport"]),
        // TokenCut foreground masks on DINO ViT keys (the paper's saliency mask).
        .target(name: "Saliency", dependencies: ["CLIP", "Imaging", "KeypointsSupport", "Tensor"]),
        .target(name: "Localization", dependencies: ["CLIP", "Imaging", "KeypointsSupport"]),
        .target(name: "Evaluation", dependencies: ["Localization", "Saliency", "KeypointsSupport"]),
        .executableTarget(
            name: "KeypointsCLI",
            dependencies: [
                "KeypointsSupport", "Tensor", "TensorDNNL", "CLIP", "Imaging", "Saliency", "Localization", "Evaluation",
                "ModelStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .testTarget(name: "KeypointsSupportTests", dependencies: ["KeypointsSupport", "KeypointsTestSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "KeypointsSupport"]),
        .testTarget(name: "TensorDNNLTests", dependencies: ["TensorDNNL", "CLIP", "KeypointsTestSupport"]),
        .testTarget(name: "ModelStoreTests", dependencies: ["ModelStore", "KeypointsSupport", "KeypointsTestSupport"]),
        .testTarget(
            name: "CLIPTests", dependencies: ["CLIP", "Imaging", "KeypointsTestSupport"],
            exclude: ["Fixtures/make_reference.py", "Fixtures/make_tokenizer_golden.py", "Fixtures/make_sharded.py"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ImagingTests", dependencies: ["Imaging", "KeypointsSupport"],
            exclude: [
                "Fixtures/make_preprocess_golden.py", "Fixtures/make_candidate_crop_golden.py",
                "Fixtures/make_exif_fixtures.py", "Fixtures/make_png_truncation_fixtures.py",
                "Fixtures/make_png_mode_fixtures.py", "Fixtures/make_grey16_canvas_fixtures.py",
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "DINOTests", dependencies: ["CLIP", "Saliency", "Imaging", "Tensor", "KeypointsTestSupport"],
            exclude: ["Fixtures/make_reference.py"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "LocalizationTests", dependencies: ["Localization", "TensorDNNL", "KeypointsSupport"]),
        // The library as a package depending on KeypointsKit uses it (public API only): the calls of
        // examples/swift-library, and README "Use from Swift" kept equal to that example.
        .testTarget(
            name: "KeypointsKitTests",
            dependencies: ["CLIP", "Imaging", "Localization", "ModelStore", "Tensor", "TensorDNNL"]),
        // Runs the built executable for the tests of the command line (CLITests, EvaluationTests);
        // sha256sum as an independent SHA-256 (KeypointsSupportTests, ModelStoreTests).
        .target(name: "KeypointsTestSupport", dependencies: ["Tensor"], path: "Tests/TestSupport"),
        .testTarget(
            name: "EvaluationTests", dependencies: ["Evaluation", "KeypointsCLI", "KeypointsTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLITests",
            dependencies: ["KeypointsCLI", "TensorDNNL", "Imaging", "KeypointsSupport", "KeypointsTestSupport"],
            exclude: ["Fixtures"]),
        // Issue 15: hostile files through the built executable, each within a time and memory budget.
        .testTarget(
            name: "HostileInputTests",
            dependencies: [
                "KeypointsCLI", "KeypointsSupport", "Tensor", "TensorDNNL", "CLIP", "ModelStore", "Imaging", "Saliency",
                "Localization", "Evaluation", "KeypointsTestSupport",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
