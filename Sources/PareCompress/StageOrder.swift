/// Which method may follow which in a pipeline, checked before anything runs (the methods
/// check it again on the layers they get, see `Pruning.checkPrunable`).
///
/// Pruning after quantization: the mask-only pruners (magnitude, N:M, Wanda) keep a weight-only
/// quantized layer (quant-weight, quant-gptq) quantized with its own scales, so the order
/// quant → prune works and stores the layer sparse-quantized. SparseGPT rewrites the kept
/// weights and structured pruning the shapes, so they cannot follow a quantization; and no
/// pruner can follow quant-static, quant-dynamic or quant-smooth (int8 activation kernels).
public enum StageOrder {
    static let maskPruners: Set<String> = [MagnitudePruning.name, NMPruning.name, WandaPruning.name]
    static let weightOnlyQuantizers: Set<String> = [QuantWeight.name, QuantGPTQ.name]
    static let quantizers: Set<String> = [QuantWeight.name, QuantGPTQ.name, QuantStatic.name, QuantDynamic.name, QuantSmooth.name, QuantQAT.name]
    static let pruners: Set<String> = Set(PruningMethods.all.map { $0.name })

    /// A ConfigError naming the first stage that cannot follow an earlier one. `loraStages` are
    /// the finetune stages that train LoRA adapters only: those may follow a weight-only
    /// quantization, whose codes they leave as they are (QLoRA).
    public static func check(_ methods: [String], loraStages: Set<Int> = []) throws {
        var quantizedBy: String? = nil
        for (i, method) in methods.enumerated() {
            if method == FineTune.name, let earlier = quantizedBy ?? methods[..<i].first(where: { $0 == LowRankSVD.name }) {
                let lora = loraStages.contains(i)
                if !(lora && weightOnlyQuantizers.contains(earlier)) {
                    throw ConfigError(lora
                        ? "stage \(i + 1) (finetune with lora_rank) cannot follow \(earlier): LoRA trains beside weight-only quantized layers (quant-weight, quant-gptq, quant-awq), not beside \(earlier)'s; fine-tune first (e.g. finetune+\(earlier))."
                        : "stage \(i + 1) (finetune) cannot follow \(earlier): its layers no longer hold float weights to train; fine-tune first (e.g. finetune+\(earlier)).")
                }
            }
            if method == QuantQAT.name, let earlier = quantizedBy ?? methods[..<i].first(where: { $0 == LowRankSVD.name }) {
                throw ConfigError("stage \(i + 1) (quant-qat) cannot follow \(earlier): quantization-aware training starts from float weights and quantizes them itself; leave \(earlier) out (pruning may come first, e.g. prune-wanda+quant-qat).")
            }
            if pruners.contains(method), let earlier = quantizedBy {
                let allowed = maskPruners.contains(method) && weightOnlyQuantizers.contains(earlier)
                if !allowed {
                    throw ConfigError("stage \(i + 1) (\(method)) cannot follow \(earlier): the layers are already quantized; put pruning first (e.g. \(method)+\(earlier))\(maskPruners.contains(method) ? "" : ", or use prune-magnitude, prune-nm or prune-wanda, which keep a quant-weight or quant-gptq layer quantized").")
                }
            }
            if quantizers.contains(method) {
                // An activation-quantized model stays so whatever weight-only stage follows.
                if quantizedBy == nil || !weightOnlyQuantizers.contains(method) { quantizedBy = method }
            }
        }
    }
}
