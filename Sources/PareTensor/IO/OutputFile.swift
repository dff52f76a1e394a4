import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an output file was refused or could not be written, in one sentence naming it.
public struct OutputFileError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

/// A file the command must not overwrite, with what it is to the user ("the database",
/// "the --model file").
public struct ProtectedPath: Sendable {
    public var path: String
    public var role: String
    public init(_ path: String, role: String) {
        self.path = path
        self.role = role
    }

    /// A database and the side files SQLite keeps beside it.
    public static func database(_ path: String) -> [ProtectedPath] {
        [ProtectedPath(path, role: "the database"), ProtectedPath(path + "-wal", role: "the database's write-ahead log"),
         ProtectedPath(path + "-shm", role: "the database's shared-memory file")]
    }
}

/// Every file Pare writes for a user goes through here: the target is checked (not a
/// directory, not a device, not the database or an input of the same command, compared by
/// device and inode so `./x`, `x` and a symlink to it are one file), the bytes go to a
/// temporary file in the same directory, are flushed to disk, and the temporary file is renamed
/// over the target. So a failed or interrupted write leaves the old file as it was.
public enum OutputFile {
    /// Refuses `path` as an output (see the type's comment); returns the path to write, with
    /// a symlink resolved to the file it names.
    @discardableResult
    public static func check(_ path: String, protecting protected: [ProtectedPath] = []) throws -> String {
        guard !path.isEmpty else { throw OutputFileError("the output path is empty; name a file.") }
        var target = path
        var info = stat()
        if stat(path, &info) == 0 {
            let kind = info.st_mode & S_IFMT
            if kind == S_IFDIR {
                throw OutputFileError("cannot write \(path): it is a directory; name a file inside it, e.g. \(path)/out.")
            }
            if kind != S_IFREG {
                throw OutputFileError("cannot write \(path): it is not a regular file (a device, pipe or socket).")
            }
            for p in protected {
                var other = stat()
                if stat(p.path, &other) == 0 && other.st_dev == info.st_dev && other.st_ino == info.st_ino {
                    throw OutputFileError("cannot write \(path): it is \(p.role) (\(p.path)); choose another output path.")
                }
            }
            if let real = realpath(path, nil) {
                target = String(cString: real)
                free(real)
            }
        } else if lstat(path, &info) == 0 {
            throw OutputFileError("cannot write \(path): it is a symbolic link to a file that does not exist.")
        }
        for p in protected where canonical(p.path) == canonical(target) {
            throw OutputFileError("cannot write \(path): it is \(p.role) (\(p.path)); choose another output path.")
        }
        let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0, folderInfo.st_mode & S_IFMT == S_IFDIR else {
            throw OutputFileError("cannot write \(path): the folder \(folder) does not exist.")
        }
        return target
    }

    /// Writes `path` whole or not at all: `body` streams into a temporary file beside it, which
    /// is flushed to disk and renamed over `path` only when `body` returns.
    public static func write(to path: String, protecting protected: [ProtectedPath] = [],
                             _ body: (FileHandle) throws -> Void) throws {
        let target = try check(path, protecting: protected)
        let url = URL(fileURLWithPath: target)
        var template = Array(url.deletingLastPathComponent().appending(path: ".\(url.lastPathComponent).pare-XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw OutputFileError("cannot write \(path): \(reason(errno)).") }
        let temporary = String(cString: template)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        do {
            try body(handle)
            guard fsync(fd) == 0 else { throw OutputFileError("cannot write \(path): \(reason(errno)).") }
            // mkstemp makes the file 0600; an output is as readable as any file the user creates.
            let mask = umask(0); umask(mask)
            fchmod(fd, 0o666 & ~mask)
            close(fd)
            guard rename(temporary, target) == 0 else { throw OutputFileError("cannot write \(path): \(reason(errno)).") }
        } catch {
            close(fd)
            unlink(temporary)
            if let error = error as? OutputFileError { throw error }
            throw OutputFileError("cannot write \(path): \(describe(error)).")
        }
    }

    /// Writes `bytes` to `path` safely (see `write(to:protecting:_:)`).
    public static func write(_ bytes: some Sequence<UInt8>, to path: String, protecting protected: [ProtectedPath] = []) throws {
        let data = Data(bytes)
        try write(to: path, protecting: protected) { handle in try handle.write(contentsOf: data) }
    }

    /// The path with its folder's symlinks resolved, for comparing files that may not exist yet.
    public static func canonicalPath(_ path: String) -> String { canonical(path) }

    static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let folder = url.deletingLastPathComponent().path
        guard let real = realpath(folder, nil) else { return url.path }
        defer { free(real) }
        return URL(fileURLWithPath: String(cString: real)).appending(path: url.lastPathComponent).path
    }

    static func reason(_ code: Int32) -> String {
        switch code {
        case EACCES, EPERM: "permission denied"
        case ENOSPC: "the disk is full"
        case EROFS: "the file system is read-only"
        case EDQUOT: "the disk quota is exceeded"
        default: String(cString: strerror(code)).lowercased()
        }
    }

    /// A Foundation error's cause without its domain and code.
    public static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return reason(Int32(posix.code))
        }
        if ns.domain == NSPOSIXErrorDomain { return reason(Int32(ns.code)) }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "the disk is full"
        case .fileWriteVolumeReadOnly: return "the file system is read-only"
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
        default:
            if ns.domain == NSCocoaErrorDomain { return ns.localizedFailureReason ?? "an input/output error" }
            return String(describing: error)
        }
    }
}
