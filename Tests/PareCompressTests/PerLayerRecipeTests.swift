import Foundation
import Testing
import PareNN
import PareTensor
@testable import PareCompress
import PareTestSupport

@Suite struct PerLayerRecipeTests {
    @Test func eachGroupGetsItsSettingsAndTheRestTheOthers() throws {
        let model = smallModel()
        let method = try Methods.make("quant-weight", settings: ["bits": "6", "per_layer": "fc1:bits=8;fc2:bits=4,granularity=tensor"])
        #expect(method.name == "quant-weight")
        let result = try method.compress(model, context: CompressionContext())
        let bits = result.model.layers.map { ($0.weight as? QuantizedWeight)?.bits }
        #expect(bits == [8, 4, 6])
        #expect((result.model.layers[1].weight as? QuantizedWeight)?.params.granularity == .tensor)
        // Each group is exactly the method run alone on those layers with those settings.
        let alone = try Methods.make("quant-weight", settings: ["bits": "4", "granularity": "tensor", "layers": "fc2"])
            .compress(model, context: CompressionContext())
        #expect(result.model.layers[1].weight.decoded() == alone.model.layers[1].weight.decoded())
        // Recorded: the recipe as written, each group's patterns and the values the method read.
        let config = method.config
        #expect(config["per_layer"] == .string("fc1:bits=8;fc2:bits=4,granularity=tensor"))
        #expect(config["per_layer.1.layers"] == .string("fc1") && config["per_layer.1.bits"] == .int(8))
        #expect(config["per_layer.2.layers"] == .string("fc2") && config["per_layer.2.bits"] == .int(4))
        #expect(config["per_layer.2.granularity"] == .string("channel") || config["per_layer.2.granularity"] == .string("tensor"))
        #expect(config["per_layer.2.granularity"] == .string("tensor"))
        #expect(config["bits"] == .int(6))
    }

    @Test func globsWithAlternativesWorkOnATransformer() throws {
        let decoder = try tinyDecoder()
        let method = try Methods.make("quant-weight", settings: ["per_layer": "*.self_attn.*:bits=8;*.mlp.gate_proj|*.mlp.up_proj:bits=4", "bits": "3"])
        let result = try method.compress(Model(transformer: .decoder(decoder)), context: CompressionContext())
        for layer in result.model.layers {
            let bits = (layer.weight as? QuantizedWeight)?.bits
            if layer.name.contains("self_attn") { #expect(bits == 8, "\(layer.name)") }
            else if layer.name.hasSuffix("gate_proj") || layer.name.hasSuffix("up_proj") { #expect(bits == 4, "\(layer.name)") }
            else if layer.name.hasSuffix("down_proj") { #expect(bits == 3, "\(layer.name)") }
            else { #expect(layer.name == "lm_head" && layer.weight is DenseWeight) }   // outside the default selection
        }
        #expect(result.notes.last == "per_layer: g1 = *.self_attn.*, g2 = *.mlp.gate_proj|*.mlp.up_proj, g3 = rest.")
    }

    @Test func anyOneShotMethodTakesARecipe() throws {
        let model = smallModel()
        let result = try Methods.make("prune-magnitude", settings: ["per_layer": "fc1:amount=0.75", "amount": "0.25"])
            .compress(model, context: CompressionContext())
        let zeros = result.model.layers.map { l in l.weight.decoded().data.filter { $0 == 0 }.count }
        #expect(zeros == [96, 48, 12])   // 75 % of 128, 25 % of 192 and of 48
        let low = try Methods.make("lowrank-svd", settings: ["per_layer": "fc2:rank=2", "rank": "1"])
            .compress(model, context: CompressionContext())
        #expect(low.model.layers.map { ($0.weight as? LowRankWeight)?.rank } == [1, 2, 1])
        #expect(low.extraMetrics["layers_factored_g1"] == 1 && low.extraMetrics["layers_factored_g2"] == 2)
    }

    func message(_ settings: [String: String], method: String = "quant-weight", model: Model = smallModel()) -> String? {
        do {
            _ = try Methods.make(method, settings: settings).validate(model, context: CompressionContext())
            return nil
        } catch let error as ConfigError {
            return error.description
        } catch { return "\(error)" }
    }

    @Test func badRecipesAreOneSentenceBeforeAnythingRuns() {
        #expect(message(["per_layer": "fc9:bits=8"])?.contains("the pattern 'fc9' matches no layer") == true)
        #expect(message(["per_layer": "fc1:bitz=8"])?.contains("has no setting 'bitz'") == true)
        #expect(message(["per_layer": "fc1:bitz=8"])?.hasPrefix("per_layer group 'fc1'") == true)
        #expect(message(["per_layer": "fc*:bits=8;fc1:bits=4"])?.contains("matches both 'fc*' and 'fc1'") == true)
        #expect(message(["per_layer": "fc1:layers=fc2"])?.contains("drop layers=") == true)
        #expect(message(["per_layer": "fc1 bits=8"])?.contains("has no ':'") == true)
        #expect(message(["per_layer": "fc1:bits"])?.contains("is not KEY=VALUE") == true)
        #expect(message(["per_layer": "fc1:bits=8,bits=4"])?.contains("twice") == true)
        #expect(message(["per_layer": "fc1:bits=9"])?.contains("out of range") == true)
        #expect(message(["per_layer": ""])?.contains("empty") == true)
        #expect(message(["per_layer": "fc1:amount=0.5"], method: "none")?.contains("takes layers=") == true)
        #expect(message(["per_layer": "fc1:bits=8"]) == nil)
    }
}
