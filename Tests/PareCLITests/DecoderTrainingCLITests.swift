import Foundation
import PareTestSupport
import Testing

/// `quant-qat steps=` and `prune-magnitude schedule=agp finetune_steps=` on the tiny Llama from
/// the command line: recorded with their curves, and every bad input one sentence, exit 1, the
/// database unchanged.
@Suite struct DecoderTrainingCLITests {
    let bad = BadInputTests()

    @Test func qatAndAGPRecordAndBadInputsLeaveTheDatabase() throws {
        let cli = try BadInputTests.prepared()
        let folder = cli.directory.appending(path: "models")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let llama = try TinyTransformers.llama(in: folder).path
        let text = try TinyTransformers.text(in: folder).path
        let train = ["--train", "text:\(text),tokens=48,context=24"]
        func record(_ method: String, _ settings: [String], train: [String] = train) -> [String] {
            bad.record(cli, model: llama, test: "text:\(text),tokens=100,context=32", method: method,
                       train + settings.flatMap { ["--set", $0] })
        }
        let qat = try cli.run(record("quant-qat", ["steps=2", "bits=4", "granularity=group", "group_size=16", "lr=0.003"]))
        #expect(qat.status == 0, "\(qat.stderr)")
        let shown = try cli.run(["show", qat.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(shown.stdout.contains("train_loss") && shown.stdout.contains("quantization-aware trained 2 steps"), "\(shown.stdout)")
        let agp = try cli.run(record("prune-magnitude", ["amount=0.5", "schedule=agp", "steps=2", "finetune_steps=1"]))
        #expect(agp.status == 0, "\(agp.stderr)")

        try bad.expectRejected(cli, record("quant-qat", ["steps=2"], train: []), mentioning: ["quant-qat", "--train text:"])
        try bad.expectRejected(cli, record("quant-qat", ["steps=2", "bits=1"]), mentioning: ["bits=1", "2 to 8"])
        try bad.expectRejected(cli, record("quant-qat", ["steps=2", "granularity=group", "group_size=24"]), mentioning: ["group_size=24", "does not divide"])
        try bad.expectRejected(cli, record("quant-qat", ["bits=4"]), mentioning: ["quant-qat", "steps="])
        try bad.expectRejected(cli, record("prune-magnitude", ["schedule=agp", "finetune_epochs=1"]), mentioning: ["finetune_steps"])
        try bad.expectRejected(cli, record("prune-magnitude", ["schedule=agp", "finetune_steps=2"], train: []), mentioning: ["--train text:"])
        try bad.expectRejected(cli, record("quant-weight+quant-qat", ["quant-qat.steps=2"]), mentioning: ["quant-qat", "float weights"])
    }
}
