/// One reply sentence, by its reply word.
package enum RouterOSReply: Sendable, Equatable {
    /// `!re`: one row of data.
    case row([String: String])
    /// `!done`: the command finished; `add` puts the new item's id in `=ret=`.
    case done([String: String])
    /// `!trap`: the command failed. A `!done` still follows.
    case trap(category: Int?, message: String)
    /// `!fatal`: the router is closing the connection.
    case fatal(String)
    /// `!empty`: RouterOS 7.18 and later say so when a command has no rows. A `!done` still follows.
    case empty

    /// Classifies a sentence the router sent; anything but the five reply words is a protocol violation.
    package init(_ sentence: RouterOSSentence) throws(RouterOSError) {
        switch sentence.head {
        case "!re": self = .row(sentence.attributes)
        case "!done": self = .done(sentence.attributes)
        case "!empty": self = .empty
        case "!trap":
            let attributes = sentence.attributes
            self = .trap(category: attributes["category"].flatMap { Int($0) }, message: attributes["message"] ?? "")
        case "!fatal":
            // The reason is a bare word after `!fatal`, not an attribute.
            let reason = sentence.words.dropFirst().first { !$0.hasPrefix(".") && !$0.hasPrefix("=") }
            self = .fatal(reason ?? sentence.attributes["message"] ?? "")
        default:
            throw RouterOSError.protocolViolation("unexpected reply word \(sentence.head.map { "'\($0)'" } ?? "(empty sentence)")")
        }
    }
}

/// The whole answer to one command.
package struct RouterOSResponse: Sendable, Equatable {
    /// The `!re` rows, in the order the router sent them.
    package var rows: [[String: String]]
    /// The attributes of the final `!done`.
    package var done: [String: String]
    /// Whether the router said `!empty` (RouterOS 7.18+) instead of sending no rows.
    package var saidEmpty: Bool

    package init(rows: [[String: String]] = [], done: [String: String] = [:], saidEmpty: Bool = false) {
        self.rows = rows
        self.done = done
        self.saidEmpty = saidEmpty
    }

    /// `=ret=` of the `!done`: the id of an added item, or a `count-only` print's count.
    package var ret: String? { done["ret"] }
}
