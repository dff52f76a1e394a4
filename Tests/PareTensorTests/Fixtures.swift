import Foundation

/// The repository's shared test fixtures (Tests/Fixtures), located from this source file so the
/// tests work from any working directory.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // PareTensorTests
        .deletingLastPathComponent()   // Tests
        .appending(path: "Fixtures")

    static func url(_ name: String) -> URL { directory.appending(path: name) }

    static var teacher: URL { url("teacher.safetensors") }
    static var teacherMixed: URL { url("teacher_mixed.safetensors") }
}
