import Foundation
import Testing
import PareTensor
@testable import PareNN

/// Raw IDX of 3 images of 2×2 unsigned bytes and their labels 2, 0, 1.
let rawImages: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2,
                          0, 255, 128, 64, 1, 2, 3, 4, 255, 0, 0, 255]
let rawLabels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 1]
// Produced at development time by python3: gzip.compress(raw, compresslevel=9, mtime=0)
// (fixed-Huffman blocks).
let gzipImages: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 99, 96, 224, 96, 102, 96, 96, 0, 97, 38, 48, 254, 223, 224, 192,
                           200, 196, 204, 242, 159, 129, 225, 63, 0, 96, 254, 64, 214, 28, 0, 0, 0]
let gzipLabels: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 99, 96, 224, 96, 100, 96, 96, 96, 102, 98, 96, 4, 0, 124, 88,
                           195, 122, 11, 0, 0, 0]
/// gzip.compress(b"the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. " * 3,
/// compresslevel=9, mtime=0): a dynamic-Huffman block with back-references.
let gzipText: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 213, 140, 87, 21, 128, 48, 12, 69, 173, 60, 5, 24, 64, 77, 11, 233,
                         96, 52, 221, 5, 212, 147, 131, 11, 190, 239, 168, 142, 144, 154, 95, 118, 232, 204, 35, 192, 240, 133,
                         173, 157, 177, 128, 59, 101, 84, 193, 135, 122, 110, 172, 108, 103, 68, 37, 222, 121, 67, 139, 52, 124,
                         117, 48, 190, 147, 160, 135, 2, 14, 159, 26, 103, 105, 109, 153, 190, 236, 47, 215, 23, 76, 29, 240, 77,
                         2, 1, 0, 0]
/// gzip.compress(b"stored block!", compresslevel=0, mtime=0): a stored block.
let gzipStored: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 4, 3, 1, 13, 0, 242, 255, 115, 116, 111, 114, 101, 100, 32, 98, 108,
                           111, 99, 107, 33, 45, 140, 52, 105, 13, 0, 0, 0]

func temporaryFile(_ bytes: [UInt8], _ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("pare-idx-\(UUID().uuidString)-\(name)").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite struct IDXTests {
    @Test func inflateFixedDynamicAndStoredBlocks() throws {
        #expect(try Gzip.decompress(gzipImages) == rawImages)
        #expect(try Gzip.decompress(gzipLabels) == rawLabels)
        let text = String(repeating: "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. ", count: 3)
        #expect(try Gzip.decompress(gzipText) == Array(text.utf8))
        #expect(try Gzip.decompress(gzipStored) == Array("stored block!".utf8))
        // Two members concatenated read as one stream.
        #expect(try Gzip.decompress(gzipStored + gzipLabels) == Array("stored block!".utf8) + rawLabels)
    }

    @Test func corruptGzipIsRejected() {
        var flipped = gzipText
        flipped[40] ^= 0x10
        #expect(throws: GzipError.self) { try Gzip.decompress(flipped) }
        #expect(throws: GzipError.self) { try Gzip.decompress(Array(gzipText.prefix(50))) }
        #expect(throws: GzipError.self) { try Gzip.decompress(Array(gzipText.dropLast(4))) }
    }

    @Test func gzipErrorsSayWhetherDataIsTruncatedOrCorrupt() {
        #expect(throws: GzipError.self) { try Gzip.decompress(rawImages) }
        do { _ = try Gzip.decompress(Array(gzipText.prefix(50))); Issue.record("a truncated member decompressed") }
        catch { #expect("\(error)".contains("truncated")) }
        var badChecksum = gzipText
        badChecksum[gzipText.count - 8] ^= 0xff   // the CRC-32 in the trailer
        do { _ = try Gzip.decompress(badChecksum); Issue.record("a member with a wrong CRC decompressed") }
        catch { #expect("\(error)".contains("corrupt")) }
        #expect(throws: GzipError.self) { try Gzip.decompress(gzipStored + [1, 2, 3]) }   // garbage after a member
    }

    @Test(arguments: [false, true])
    func rawAndGzipRoundTrip(compressed: Bool) throws {
        let images = try temporaryFile(compressed ? gzipImages : rawImages, "images")
        let labels = try temporaryFile(compressed ? gzipLabels : rawLabels, "labels")
        defer { try? FileManager.default.removeItem(atPath: images); try? FileManager.default.removeItem(atPath: labels) }
        let data = try Dataset.loadIDX(images: images, labels: labels, name: "tiny", classCount: 10)
        #expect(data.name == "tiny")
        #expect(data.features.shape == [3, 4])
        #expect(data.labels == [2, 0, 1])
        #expect(data.classCount == 10)
        #expect(data.features.data == [0, 1, Float(128) / 255, Float(64) / 255,
                                       Float(1) / 255, Float(2) / 255, Float(3) / 255, Float(4) / 255, 1, 0, 0, 1])
        #expect(try Dataset.loadIDX(images: images, labels: labels).classCount == 3)
    }

    @Test func encodeParsesBack() throws {
        let bytes = IDX.encode(uint8: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        let array = try IDX.parse(bytes)
        #expect(array.type == .uint8 && array.shape == [2, 3] && array.values == [1, 2, 3, 4, 5, 6])
        // Big-endian Int32 and Float32 values.
        let ints = try IDX.parse([0, 0, 0x0C, 1, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 1, 0])
        #expect(ints.values == [-2, 256])
        let floats = try IDX.parse([0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0])
        #expect(floats.values == [1.5])
    }

    @Test func badMagicNumber() throws {
        var bytes = rawImages
        bytes[2] = 0x07
        let error = #expect(throws: IDXError.self) { try IDX.parse(bytes, name: "img.idx") }
        #expect(error?.description.contains("bad magic number 0x00000703") == true)
        #expect(throws: IDXError.self) { try IDX.parse(Array("P5 28 28\n".utf8), name: "img.pgm") }
    }

    @Test func truncatedData() throws {
        let error = #expect(throws: IDXError.self) { try IDX.parse(Array(rawImages.dropLast(3)), name: "img.idx") }
        #expect(error?.description.contains("truncated") == true)
        #expect(throws: IDXError.self) { try IDX.parse(Array(rawImages.prefix(10))) }
        #expect(throws: IDXError.self) { try IDX.parse([0, 0]) }
        // A truncated gzip file is reported as such too.
        #expect(throws: IDXError.self) { try IDX.parse(Array(gzipImages.prefix(30))) }
    }

    @Test func imageAndLabelCountsMustMatch() throws {
        let labels = try IDX.parse(IDX.encode(uint8: [1, 0], shape: [2]))
        let images = try IDX.parse(rawImages)
        let error = #expect(throws: IDXError.self) {
            try Dataset.fromIDX(images: images, labels: labels, name: "x", imagesName: "img", labelsName: "lab")
        }
        #expect(error?.description == "img has 3 images but lab has 2 labels; they must match.")
    }

    @Test func largerFileThroughSystemGzipIfPresent() throws {
        // Multi-block dynamic Huffman from the real gzip tool, when the machine has one.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip") || FileManager.default.isExecutableFile(atPath: "/bin/gzip") else { return }
        var state: UInt32 = 12345
        let pixels: [UInt8] = (0..<(200 * 28 * 28)).map { i in
            state = state &* 1_103_515_245 &+ 12345
            return (i % 28) < 6 ? 0 : UInt8(truncatingIfNeeded: state >> 24) & 0xF0
        }
        let raw = IDX.encode(uint8: pixels, shape: [200, 28, 28])
        let path = try temporaryFile(raw, "big")
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: path + ".gz") }
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip") ? "/usr/bin/gzip" : "/bin/gzip")
        gzip.arguments = ["-k", "-9", path]
        try gzip.run()
        gzip.waitUntilExit()
        let array = try IDX.read(path: path + ".gz")
        #expect(array.shape == [200, 28, 28])
        #expect(array.values == pixels.map(Float.init))
    }
}
