// swift-tools-version:6.0
// A package of its own that uses keypoints as a library (README "Use from Swift").
// Outside this repository, depend on your clone instead:
//     .package(path: "/path/to/keypoints")
import PackageDescription

let package = Package(
    name: "swift-library",
    dependencies: [
        .package(name: "keypoints", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "LocalizeBirdParts",
            dependencies: [.product(name: "KeypointsKit", package: "keypoints")]
        )
    ],
    swiftLanguageModes: [.v6]
)
