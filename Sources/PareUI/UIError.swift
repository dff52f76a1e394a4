import HTTPTypes
import PareStore

/// What a request got wrong (or what went wrong serving it), as an HTTP status and one
/// sentence: never SQL, never a stack trace. Filter errors keep their column, as on the command line.
struct UIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    /// The filter text and the 1-based column of the error in it, for a filter error.
    var filterText: String?
    var column: Int?

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func badRequest(_ message: String) -> UIError { UIError(.badRequest, message) }
    static func notFound(_ message: String) -> UIError { UIError(.notFound, message) }

    /// Any error of a handler as a status and a sentence. `filter` is the request's filter text,
    /// shown with a caret under the column of a filter error.
    static func from(_ error: any Error, filter: String? = nil) -> UIError {
        switch error {
        case let error as UIError:
            return error
        case let error as FilterError:
            var e = UIError(.badRequest, error.description)
            e.filterText = filter
            e.column = error.column
            return e
        case let error as StoreError:
            switch error {
            case .unknownRun: return UIError(.notFound, error.description)
            case .unknownMetric, .invalidQuery: return UIError(.badRequest, error.description)
            case .busy: return UIError(.serviceUnavailable, error.description)
            default: return UIError(.internalServerError, error.description)
            }
        case let error as any StoreSentence:
            // The store's server could not answer (a PostgreSQL store down or refusing).
            return UIError(.serviceUnavailable, error.description)
        default:
            // Not one of Pare's sentences: say what failed without the error's internals.
            return UIError(.internalServerError, "the request failed: \(type(of: error))")
        }
    }
}
