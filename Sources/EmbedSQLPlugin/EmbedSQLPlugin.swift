import Foundation
import PackagePlugin

/// Embeds `migrations/*.sql`, `queries/*.sql` (and their PostgreSQL twins, `*/postgresql/*.pgsql`)
/// and the demo's `data/*.csv` into the target as
/// Swift string literals, so the `pare` binary carries the only copy of its SQL and data and
/// works from any directory. The files are listed anew on every build, so adding, editing or
/// deleting one regenerates the embedding.
@main
struct EmbedSQLPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        // The target is rooted at the package directory and lists these folders as its
        // sources, so SwiftPM hands every file in them to the plugin on each build.
        let root = context.package.directoryURL.standardizedFileURL.path
        // PostgreSQL's files are .pgsql (in migrations/postgresql, queries/postgresql): SwiftPM
        // flattens a target's resources, so they cannot share their SQLite twins' names.
        let wanted: [(folder: String, ext: String)] = [("migrations", "sql"), ("queries", "sql"), ("migrations", "pgsql"),
                                                       ("queries", "pgsql"), ("data", "csv")]
        guard let module = target as? SourceModuleTarget else { return [] }
        let inputs = module.sourceFiles.map(\.url).filter { url in
            let relative = url.standardizedFileURL.path.dropFirst(root.count + 1)
            return wanted.contains { relative.hasPrefix($0.folder + "/") && url.pathExtension == $0.ext }
        }.sorted { $0.path < $1.path }
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
