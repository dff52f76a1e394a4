import HTTPTypes

/// One response of the app, before it becomes an HTTP response: a status, a type and the bytes.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var contentType: String
    var body: [UInt8]
    /// Set for a download: the file name the browser saves it under.
    var attachmentName: String?

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Reply {
        Reply(status: status, contentType: "text/html; charset=utf-8", body: Array(text.utf8))
    }

    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Reply {
        Reply(status: status, contentType: "application/json; charset=utf-8", body: Array((value.text + "\n").utf8))
    }

    /// An error as the API answers it: `{"error": {"status": 400, "message": "…", "column": 12}}`.
    static func jsonError(_ error: UIError) -> Reply {
        var members: [(String, JSON)] = [("status", .int(Int64(error.status.code))), ("message", .string(error.message))]
        if let column = error.column { members.append(("column", .int(Int64(column)))) }
        return .json(.object([("error", .object(members))]), status: error.status)
    }
}
