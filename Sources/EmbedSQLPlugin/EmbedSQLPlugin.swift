import Foundation
import PackagePlugin

/// Embeds `migrations/*.sql`, `queries/*.sql` and the demo's `data/*.csv` into the target as
/// Swift string literals, so the `pare` binary carries the only copy of its SQL and data and
/// works from any directory. The files are listed anew on every build, so adding, editing or
/// deleting one regenerates the embedding.
@main
struct EmbedSQLPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        var inputs: [URL] = []
        for (folder, ext) in [("migrations", "sql"), ("queries", "sql"), ("data", "csv")] {
            let dir = root.appending(path: folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            inputs += names.filter { $0.hasSuffix("." + ext) }.sorted().map { dir.appending(path: $0) }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [.buildCommand(
            displayName: "Embedding \(inputs.count) SQL and data files",
            executable: try context.tool(named: "EmbedSQLTool").url,
            arguments: [output.path] + inputs.map(\.path),
            inputFiles: inputs,
            outputFiles: [output]
        )]
    }
}
