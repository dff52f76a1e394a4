import ArgumentParser
import PareCompress
import PareStore

struct ListMethods: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "methods",
        abstract: "List the compression methods `pare record --method` accepts.",
        discussion: PerLayerHelp.text
    )

    @OptionGroup var format: FormatOption

    func run() throws {
        try reportingErrors {
            printOut(try renderKeyValues(Methods.all.map { ($0.name, $0.summary) }, format: format.format,
                                         columns: ("method", "summary")))
        }
    }
}
