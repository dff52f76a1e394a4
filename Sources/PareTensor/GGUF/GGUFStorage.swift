import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a GGUF file: memory-mapped read-only (so opening a 100 MB model touches only the
/// header's pages, and a tensor's pages are read when it is decoded), or a private copy of bytes
/// handed in by a caller. Immutable once made, so sharing it across threads is safe. (As with
/// any mapping, another process shrinking the file while it is open would fault on access.)
final class GGUFStorage: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Maps the file at `path`. An empty file gets an empty buffer (mmap refuses length 0).
    init(mapping path: String) throws(GGUFError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw GGUFError(.io, "Cannot read GGUF file \(path): no such file; check the path.")
        }
        guard !isDirectory.boolValue else {
            throw GGUFError(.io, "Cannot read GGUF file \(path): it is a directory, not a file.")
        }
        let fd = openReadOnly(path)
        guard fd >= 0 else {
            throw GGUFError(.io, "Cannot read GGUF file \(path): \(String(cString: strerror(errno))).")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw GGUFError(.io, "Cannot read GGUF file \(path): \(String(cString: strerror(errno))).")
        }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              address != UnsafeMutableRawPointer(bitPattern: -1)
        else {
            throw GGUFError(.io, "Cannot memory-map GGUF file \(path): \(String(cString: strerror(errno))).")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        mapped = true
    }

    /// A private copy of `array`.
    init(copying array: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: array.count, alignment: 64)
        array.withUnsafeBytes { buffer.copyMemory(from: $0) }
        bytes = UnsafeRawBufferPointer(buffer)
        mapped = false
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}

/// `open(2)` read-only; a function of its own because Swift imports the variadic C `open` as
/// overloads that differ between Glibc and Darwin.
private func openReadOnly(_ path: String) -> Int32 {
    open(path, O_RDONLY)
}
