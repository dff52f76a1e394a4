import Foundation
import GRDB
import PareTensor

extension Store {
    /// A run's stored tensors, byte for byte as recorded, in the order they were recorded.
    public func tensors(run id: Int64) throws -> [(name: String, tensor: EncodedTensor)] {
        try read { db in
            guard try String.fetchOne(db.cachedStatement(sql: SQLText.query("run_status")), arguments: ["id": id]) != nil
            else { throw try Store.unknownRun(db, id) }
            var result: [(name: String, tensor: EncodedTensor)] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: SQLText.query("run_tensors")), arguments: ["run_id": id])
            while let row = try rows.next() {
                let name: String = row["name"]
                let chunks: Int = row["chunks"]
                let payload = chunks == 0 ? [UInt8](row["data"] as Data)
                    : try Store.chunkedBlob(db, hash: row["blob_hash"], chunks: chunks, tensor: name, run: id)
                result.append((name: name, tensor: try Self.storedTensor(
                    name: name, run: id, encoding: row["encoding"], dtype: row["dtype"], shape: row["shape"], meta: row["meta"],
                    payload: payload)))
            }
            return result
        }
    }

    /// A tensor row of `run_tensors.sql` as the tensor it records (both stores read them so).
    public static func storedTensor(name: String, run id: Int64, encoding: String, dtype dtypeName: String,
                                    shape shapeJSON: String, meta metaJSON: String, payload: [UInt8]) throws -> EncodedTensor {
        guard let dtype = DType(rawValue: dtypeName) else {
            throw StoreError.invalidRecord("tensor '\(name)' of run \(id) has unknown dtype '\(dtypeName)'")
        }
        let shape = try JSONDecoder().decode([Int].self, from: Data(shapeJSON.utf8))
        let meta = try JSONDecoder().decode([String: String].self, from: Data(metaJSON.utf8))
        return EncodedTensor(encoding: encoding, dtype: dtype, shape: shape, meta: meta, payload: payload)
    }

    /// The bytes of a chunked blob, its pieces appended in order into one buffer.
    static func chunkedBlob(_ db: Database, hash: String, chunks: Int, tensor: String, run id: Int64) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var seen = 0
        let pieces = try Row.fetchCursor(db.cachedStatement(sql: SQLText.query("blob_chunks")), arguments: ["blob_hash": hash])
        while let piece = try pieces.next() {
            let data: Data = piece["data"]
            if bytes.isEmpty { bytes.reserveCapacity(data.count * chunks) }
            bytes.append(contentsOf: data)
            seen += 1
        }
        guard seen == chunks else {
            throw StoreError.invalidRecord("tensor '\(tensor)' of run \(id) has \(seen) of its \(chunks) stored pieces")
        }
        return bytes
    }

    /// The files recorded with a base model (config.json, tokenizer.json), by name.
    public func modelFiles(model hash: String) throws -> [String: [UInt8]] {
        try read { db in
            var files: [String: [UInt8]] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: SQLText.query("model_files")), arguments: ["model_hash": hash]) {
                files[row["name"]] = [UInt8](row["data"] as Data)
            }
            return files
        }
    }
}
