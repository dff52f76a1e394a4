import Foundation
import PareNN
import PareTensor

/// Load time of a GGUF checkpoint (open, config, tokenizer and its JSON, every tensor
/// dequantised into the model), split into phases; optionally writes the synthesised
/// config.json and tokenizer.json for checking by hand.
func runGGUFLoadBenchmark(arguments: [String]) {
    let path = arguments.first ?? FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/pare/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    do {
        for round in 1...3 {
            var file: GGUFFile!
            var loaded: GGUFCheckpoint.Loaded!
            var tokenizerJSON = Data()
            let open = try seconds { file = try GGUFFile.open(URL(fileURLWithPath: path)) }
            let tokenizer = try seconds {
                tokenizerJSON = try TokenizerJSONWriter.tokenizerJSON(gguf: GGUFTokenizerMetadata(file: file), source: path)
            }
            let total = try seconds { loaded = try GGUFCheckpoint.load(file) }
            print(String(format: "round %d: open %.3f s, tokenizer+JSON %.3f s, GGUFCheckpoint.load %.3f s (tokenizer.json %d bytes)",
                         round, open, tokenizer, total, tokenizerJSON.count))
            if round == 3, arguments.count >= 2 {
                let dir = URL(fileURLWithPath: arguments[1])
                try loaded.configJSON.write(to: dir.appendingPathComponent("config.json"))
                try loaded.tokenizerJSON.write(to: dir.appendingPathComponent("tokenizer.json"))
                print("wrote config.json and tokenizer.json to \(dir.path)")
            }
        }
    } catch {
        print("gguf-load: \(error)")
        exit(1)
    }
}
