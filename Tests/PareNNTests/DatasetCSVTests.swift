import Foundation
import Testing
import PareTensor
import PareNN

@Suite struct DatasetCSVTests {
    @Test func parsesLabelAnywhereWithCRLFAndBlankLines() throws {
        let url = try temporaryCSV("a,label,b\r\n0.5,2,-1e-3\r\n\r\n 1 ,0,\"3\"\r\n")
        let d = try Dataset.loadCSV(url: url)
        #expect(d.name == "data")
        #expect(d.rowCount == 2 && d.featureCount == 2)
        #expect(d.features.data == [0.5, -0.001, 1, 3])
        #expect(d.labels == [2, 0])
        #expect(d.classCount == 3)
    }

    @Test func readsTheDigitsFixtures() throws {
        let train = try Dataset.loadCSV(url: Fixtures.url("digits_train.csv"), name: "digits-train")
        let test = try Dataset.loadCSV(url: Fixtures.url("digits_test.csv"))
        #expect(train.rowCount == 1437 && train.featureCount == 64 && train.classCount == 10)
        #expect(test.rowCount == 360 && test.featureCount == 64 && test.classCount == 10)
        #expect(train.features.data.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(train.name == "digits-train" && test.name == "digits_test")
    }

    @Test func integralFloatLabelsAreAccepted() throws {
        let d = try Dataset.parseCSV("x,label\n1,3.0\n2,1\n")
        #expect(d.labels == [3, 1] && d.classCount == 4)
    }

    static let badInputs: [(String, String, DatasetError)] = [
        ("", "empty", .emptyFile(file: "f.csv")),
        ("\n\n", "blank", .emptyFile(file: "f.csv")),
        ("x,y\n1,2\n", "no label", .noLabelColumn(file: "f.csv")),
        ("x,Label\n1,2\n", "label is case-sensitive", .noLabelColumn(file: "f.csv")),
        ("label,x,label\n1,2,3\n", "two labels", .duplicateLabelColumn(file: "f.csv")),
        ("label\n1\n", "no features", .noFeatureColumns(file: "f.csv")),
        ("x,label\n", "header only", .noDataRows(file: "f.csv")),
        ("x,label\n1,0\nabc,1\n", "non-numeric", .nonNumeric(file: "f.csv", line: 3, column: 1, columnName: "x", cell: "abc")),
        ("x,label\n1e,0\n", "partial number", .nonNumeric(file: "f.csv", line: 2, column: 1, columnName: "x", cell: "1e")),
        ("label,x\n0,\n", "empty cell", .nonNumeric(file: "f.csv", line: 2, column: 2, columnName: "x", cell: "")),
        ("x,y,label\n1,2,0\n1,0\n", "too few cells", .wrongCellCount(file: "f.csv", line: 3, expected: 3, found: 2)),
        ("x,label\n1,0,5,6\n", "too many cells", .wrongCellCount(file: "f.csv", line: 2, expected: 2, found: 4)),
        ("x,label\nnan,0\n", "NaN", .notFinite(file: "f.csv", line: 2, column: 1, columnName: "x", cell: "nan")),
        ("x,label\n1,0\n-Inf,1\n", "Inf", .notFinite(file: "f.csv", line: 3, column: 1, columnName: "x", cell: "-Inf")),
        ("x,label\n1e39,0\n", "overflow", .outOfFloat32Range(file: "f.csv", line: 2, column: 1, columnName: "x", cell: "1e39")),
        ("x,label\n1e308,0\n", "finite in Double", .outOfFloat32Range(file: "f.csv", line: 2, column: 1, columnName: "x", cell: "1e308")),
        ("x,label\n1e999,0\n", "infinite", .notFinite(file: "f.csv", line: 2, column: 1, columnName: "x", cell: "1e999")),
        ("x,label\n1,-1\n", "negative label", .badLabel(file: "f.csv", line: 2, column: 2, cell: "-1")),
        ("x,label\n1,2.5\n", "fractional label", .badLabel(file: "f.csv", line: 2, column: 2, cell: "2.5")),
        ("x,label\n1,cat\n", "text label", .badLabel(file: "f.csv", line: 2, column: 2, cell: "cat")),
        ("x,label\n1,\n", "empty label", .badLabel(file: "f.csv", line: 2, column: 2, cell: "")),
    ]

    @Test(arguments: badInputs.indices)
    func rejectsBadInput(_ index: Int) throws {
        let (text, what, expected) = Self.badInputs[index]
        #expect(throws: expected, "\(what)") { try Dataset.parseCSV(text, file: "f.csv") }
        // Through a real file too: the error names the file's path.
        let url = try temporaryCSV(text)
        do {
            _ = try Dataset.loadCSV(url: url)
            Issue.record("\(what): no error")
        } catch let error as DatasetError {
            #expect(error.description.contains(url.path), "\(what): \(error)")
            #expect(error.description.hasSuffix("."), "one sentence: \(error)")
        }
    }

    @Test func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/x.csv")
        #expect(throws: DatasetError.fileNotFound(file: "/nonexistent/dir/x.csv")) { try Dataset.loadCSV(url: url) }
    }

    @Test func errorMessagesNameFileLineAndColumn() {
        let error = DatasetError.nonNumeric(file: "d.csv", line: 7, column: 3, columnName: "p1", cell: "x")
        #expect(error.description == "Dataset file 'd.csv' line 7 column 3 ('p1') is not a number: 'x'.")
    }
}
