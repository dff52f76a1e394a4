import Foundation
import PareNN
import PareTensor
import Testing
@testable import Pare

@Suite struct ModelIOTests {
    /// PyTorch classifies 352 of the 360 test digits correctly with this teacher.
    @Test func teacherMatchesPyTorch() throws {
        let loaded = try ModelIO.load(contentsOf: URL(fileURLWithPath: Fixtures.teacher))
        #expect(loaded.model.dims == [64, 256, 128, 10])
        #expect(loaded.model.activation == .relu)
        let test = try Dataset.loadCSV(url: URL(fileURLWithPath: Fixtures.digitsTest), name: "digits_test.csv")
        let correct = zip(Evaluator.predictions(loaded.model, test), test.labels).filter { $0 == $1 }.count
        #expect(correct == 352)
    }

    /// F16, BF16 and F32 tensors and no metadata: the architecture comes from --arch.
    @Test func mixedDtypeTeacherMatchesPyTorch() throws {
        let loaded = try ModelIO.load(contentsOf: URL(fileURLWithPath: Fixtures.teacherMixed), arch: "mlp:64,256,128,10:relu")
        let test = try Dataset.loadCSV(url: URL(fileURLWithPath: Fixtures.digitsTest), name: "digits_test.csv")
        let correct = zip(Evaluator.predictions(loaded.model, test), test.labels).filter { $0 == $1 }.count
        #expect(correct == 352)
    }

    @Test func missingArchitectureSuggestsOne() throws {
        #expect {
            try ModelIO.load(contentsOf: URL(fileURLWithPath: Fixtures.teacherMixed))
        } throws: { String(describing: $0).contains("--arch mlp:64,256,128,10:relu") }
    }

    @Test func writtenModelReloadsIdentically() throws {
        let loaded = try ModelIO.load(contentsOf: URL(fileURLWithPath: Fixtures.teacher))
        let url = Fixtures.scratch().appending(path: "copy.safetensors")
        try ModelIO.safetensors(loaded.model).write(to: url)
        let again = try ModelIO.load(contentsOf: url)
        #expect(again.hash == loaded.hash)
        #expect(again.model.denseWeights() == loaded.model.denseWeights())
    }

    @Test func architectureStringsParse() throws {
        let (dims, act) = try ModelIO.parseArch("mlp:64,32,10:gelu")
        #expect(dims == [64, 32, 10])
        #expect(act == .gelu)
        for bad in ["mlp:64:relu", "cnn:1,2:relu", "mlp:64,0,10:relu", "mlp:64,10:tanh", "mlp:64,x,10:relu"] {
            #expect(throws: PareError.self) { try ModelIO.parseArch(bad) }
        }
    }
}
