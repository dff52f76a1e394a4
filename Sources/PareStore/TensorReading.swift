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
                let dtypeName: String = row["dtype"]
                guard let dtype = DType(rawValue: dtypeName) else {
                    throw StoreError.invalidRecord("tensor '\(name)' of run \(id) has unknown dtype '\(dtypeName)'")
                }
                let shapeJSON: String = row["shape"]
                let metaJSON: String = row["meta"]
                let shape = try JSONDecoder().decode([Int].self, from: Data(shapeJSON.utf8))
                let meta = try JSONDecoder().decode([String: String].self, from: Data(metaJSON.utf8))
                let data: Data = row["data"]
                result.append((name: name, tensor: EncodedTensor(
                    encoding: row["encoding"], dtype: dtype, shape: shape, meta: meta, payload: [UInt8](data))))
            }
            return result
        }
    }
}
