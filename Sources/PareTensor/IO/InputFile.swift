import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks that a path a user names as input is a file Pare can read — not a directory, a
/// device such as /dev/zero (which would be read forever), a pipe or an unreadable file — so
/// the error says which rather than a system domain code.
public enum InputFile {
    public struct Refused: Error, CustomStringConvertible, LocalizedError {
        public let description: String
        public var errorDescription: String? { description }
    }

    /// Throws `Refused` with the reason (no path in it: callers say which file and what it is for).
    public static func check(_ path: String, directoryAllowed: Bool = false) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Refused(description: OutputFile.reason(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR where directoryAllowed: break
        case S_IFDIR: throw Refused(description: "it is a directory, not a file")
        default: throw Refused(description: "it is not a regular file (a device, pipe or socket)")
        }
        guard access(path, R_OK) == 0 else { throw Refused(description: OutputFile.reason(errno)) }
    }

    /// The reason of a failed read as a phrase without domain codes.
    public static func reason(_ error: any Error) -> String {
        if let refused = error as? Refused { return refused.description }
        return OutputFile.describe(error)
    }
}
