import Foundation
import GRDB
import PareStore
import PareTensor
import PostgresNIO

/// A recorded run's model read back from PostgreSQL (bytea blobs, a large one in chunks), for
/// `export-model` and the `--run` of generate, embed and tokenize: the same queries and the
/// same tensors, byte for byte, as the SQLite store gives.
extension PostgresStore: RunModelReading {
    public func modelInfo(run id: Int64) throws -> RunModelInfo {
        try reading { rows in
            let table = try rows.table("run_base_model", ["run_id": id.databaseValue])
            guard let row = table.rows.first else { throw try rows.unknownRun(id) }
            func text(_ column: String) -> String? {
                guard let i = table.columns.firstIndex(of: column), case .text(let s) = row[i] else { return nil }
                return s
            }
            return RunModelInfo(status: text("status") ?? "", error: text("error"), baseArchJSON: text("arch"),
                                baseModelHash: text("base_model_hash"), baseModelName: text("model_name"))
        }
    }

    public func tensors(run id: Int64) throws -> [(name: String, tensor: EncodedTensor)] {
        try reading { rows in
            try rows.requireRun(id)
            return try session.rawRows("run_tensors", ["run_id": id.databaseValue]).map { row in
                let name = try row["name"].decode(String.self)
                let chunks = try row["chunks"].decode(Int64.self)
                let payload = chunks == 0 ? PostgresSession.bytes(row["data"]) ?? []
                    : try chunkedBlob(try row["blob_hash"].decode(String.self), chunks: Int(chunks), tensor: name, run: id)
                return (name: name, tensor: try Store.storedTensor(
                    name: name, run: id, encoding: try row["encoding"].decode(String.self), dtype: try row["dtype"].decode(String.self),
                    shape: try row["shape"].decode(String.self), meta: try row["meta"].decode(String.self), payload: payload))
            }
        }
    }

    public func modelFiles(model hash: String) throws -> [String: [UInt8]] {
        try reading { _ in
            var files: [String: [UInt8]] = [:]
            for row in try session.rawRows("model_files", ["model_hash": hash.databaseValue]) {
                files[try row["name"].decode(String.self)] = PostgresSession.bytes(row["data"]) ?? []
            }
            return files
        }
    }

    /// A chunked blob's pieces, one round trip each (a whole blob in one answer would be held
    /// twice), appended into one buffer.
    private func chunkedBlob(_ hash: String, chunks: Int, tensor: String, run id: Int64) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for seq in 0..<chunks {
            guard let piece = try session.rawRows("blob_chunk", ["blob_hash": hash.databaseValue, "seq": Int64(seq).databaseValue])
                .first.flatMap({ PostgresSession.bytes($0["data"]) }) else {
                throw StoreError.invalidRecord("tensor '\(tensor)' of run \(id) has \(seq) of its \(chunks) stored pieces")
            }
            if bytes.isEmpty { bytes.reserveCapacity(piece.count * chunks) }
            bytes.append(contentsOf: piece)
        }
        return bytes
    }
}
