import Foundation
import Testing
import PareTensor
@testable import PareStore

/// Tensors above one chunk are stored in pieces (migrations/0005) and read back byte for byte;
/// a base model's files (config.json, tokenizer.json) and probes are kept once per model.
@Suite struct LargeTensorTests {
    /// Bytes that differ at every position, so a piece out of order or missing shows.
    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) } }

    @Test func aTensorLargerThanOneChunkRoundTripsInPieces() throws {
        let store = try newStore("chunks")
        let size = 2 * RunWriter.blobChunkBytes + 12_345   // three pieces, the last one short
        let big = EncodedTensor(encoding: "dense", shape: [size / 4], payload: Self.pattern(size / 4 * 4))
        let small = EncodedTensor(encoding: "dense", shape: [2], payload: [1, 2, 3, 4, 5, 6, 7, 8])
        let id = try store.beginRun(start())
        try store.finishRun(id, outcome(["accuracy": 1], tensors: [("embed.weight", big), ("norm.weight", small)]))
        #expect(try store.count("SELECT count(*) FROM blob_chunks") == 3)
        #expect(try store.count("SELECT chunks FROM blobs WHERE size = \(big.payload.count)") == 3)
        #expect(try store.count("SELECT length(data) FROM blobs WHERE size = \(big.payload.count)") == 0)
        #expect(try store.count("SELECT chunks FROM blobs WHERE size = 8") == 0)
        let back = try store.tensors(run: id)
        #expect(back.map(\.name) == ["embed.weight", "norm.weight"])
        #expect(back[0].tensor == big && back[1].tensor == small)

        // A second run with the same bytes shares the blob and its pieces.
        let again = try store.beginRun(start())
        try store.finishRun(again, outcome(["accuracy": 1], tensors: [("embed.weight", big)]))
        #expect(try store.count("SELECT count(*) FROM blob_chunks") == 3)
        #expect(try store.tensors(run: again)[0].tensor == big)
    }

    @Test func aMissingPieceIsAnErrorNotShortWeights() throws {
        let path = tempDBPath("chunks-missing")
        let store = try Store(path: path, create: true)
        let size = RunWriter.blobChunkBytes + 8
        let id = try store.beginRun(start())
        try store.finishRun(id, outcome(["accuracy": 1], tensors: [("w", EncodedTensor(encoding: "dense", shape: [size / 4], payload: Self.pattern(size)))]))
        try store.pool.write { db in try db.execute(sql: "DELETE FROM blob_chunks WHERE seq = 1") }
        #expect(throws: StoreError.invalidRecord("tensor 'w' of run \(id) has 1 of its 2 stored pieces")) { try store.tensors(run: id) }
    }

    @Test func modelFilesAndProbesAreKeptOncePerModel() throws {
        let store = try newStore("files")
        var s = start()
        s.baseModel!.files = [(name: "config.json", bytes: Array(#"{"model_type":"bert"}"#.utf8)),
                              (name: "tokenizer.json", bytes: Array(#"{"model":{}}"#.utf8))]
        let id = try store.beginRun(s)
        _ = try store.beginRun(s)
        let hash = s.baseModel!.hash
        #expect(try store.modelFiles(model: hash) == ["config.json": Array(#"{"model_type":"bert"}"#.utf8),
                                                       "tokenizer.json": Array(#"{"model":{}}"#.utf8)])
        #expect(try store.count("SELECT count(*) FROM model_files") == 2)
        #expect(try store.modelInfo(run: id).baseModelHash == hash)

        let dataset = s.train!.hash
        #expect(try store.probe(model: hash, dataset: dataset) == nil)
        try store.recordProbe(model: hash, dataset: dataset, json: #"{"classes":2}"#, trainAccuracy: 0.9)
        try store.recordProbe(model: hash, dataset: dataset, json: #"{"classes":3}"#, trainAccuracy: 0.5)   // the first stays
        #expect(try store.probe(model: hash, dataset: dataset) == #"{"classes":2}"#)
        // A reader sees them without writing.
        store.close()
        let reader = try Store(readingAt: path(of: store))
        #expect(try reader.probe(model: hash, dataset: dataset) == #"{"classes":2}"#)
    }

    func path(of store: Store) -> String { store.path }
}
