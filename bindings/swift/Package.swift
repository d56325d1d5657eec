// swift-tools-version:5.9
// SwiftPM package of the sspr bindings. `check.sh` (or the commands in README.md) generates
// Sources/Sspr/Sspr.swift and Sources/SsprFFI/{SsprFFI.h,module.modulemap} from the built
// library; `swift test -Xlinker -L<dir of libsspr_ffi>` then runs Tests/SsprTests.
import PackageDescription

let package = Package(
    name: "Sspr",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [.library(name: "Sspr", targets: ["Sspr"])],
    targets: [
        .systemLibrary(name: "SsprFFI", path: "Sources/SsprFFI"),
        .target(
            name: "Sspr",
            dependencies: ["SsprFFI"],
            path: "Sources/Sspr",
            linkerSettings: [.linkedLibrary("sspr_ffi")]
        ),
        .testTarget(name: "SsprTests", dependencies: ["Sspr"], path: "Tests/SsprTests"),
    ]
)
