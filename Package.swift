// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "keypoints",
    products: [
        .executable(name: "keypoints", targets: ["KeypointsCLI"]),
        .library(name: "KeypointsKit", targets: ["Tensor", "CLIP", "Imaging", "Localization", "Evaluation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - System libraries and C shims
        // OpenBLAS is not linked at build time: COpenBLAS dlopens it after choosing
        // OPENBLAS_CORETYPE (the library reads that variable in its load-time constructor,
        // so it must be set before the library is loaded). See Sources/COpenBLAS/kp_blas.c.
        .target(name: "COpenBLAS", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // setjmp/longjmp error handling of libjpeg and libpng cannot live in Swift.
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),

        // MARK: - Layers (one direction of dependency)
        .target(name: "Tensor", dependencies: ["COpenBLAS"]),
        .target(name: "CLIP", dependencies: ["Tensor"]),
        .target(name: "Imaging", dependencies: ["CImageCodecs"]),
        .target(name: "Localization", dependencies: ["CLIP", "Imaging"]),
        .target(name: "Evaluation", dependencies: ["Localization"]),
        .executableTarget(
            name: "KeypointsCLI",
            dependencies: [
                "Tensor", "CLIP", "Imaging", "Localization", "Evaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(
            name: "CLIPTests", dependencies: ["CLIP", "Imaging"],
            exclude: ["Fixtures/make_reference.py", "Fixtures/make_tokenizer_golden.py"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ImagingTests", dependencies: ["Imaging"],
            exclude: ["Fixtures/make_preprocess_golden.py"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "LocalizationTests", dependencies: ["Localization"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"]),
        .testTarget(name: "CLITests", dependencies: ["KeypointsCLI"]),
    ],
    swiftLanguageModes: [.v6]
)
