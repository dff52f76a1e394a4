import Foundation

/// The repository's test fixtures (Tests/Fixtures), copied from the project's shared fixtures
/// with their provenance in Tests/Fixtures/README.md.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Fixtures")
    static var teacher: String { folder.appending(path: "teacher.safetensors").path }
    static var teacherMixed: String { folder.appending(path: "teacher_mixed.safetensors").path }
    static var digitsTest: String { folder.appending(path: "digits_test.csv").path }
    static var digitsTrain: String { folder.appending(path: "digits_train.csv").path }

    /// A fresh scratch folder for one test.
    static func scratch(_ label: String = #function) -> URL {
        let url = FileManager.default.temporaryDirectory
            .appending(path: "pare-tests-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
