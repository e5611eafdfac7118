/// A NAS's authenticated answer to a Disconnect- or CoA-Request.
package enum DynamicAuthResult: Sendable, Hashable, CustomStringConvertible {
    /// Disconnect-ACK or CoA-ACK: the session is gone, or its authorization changed.
    case ack
    /// Disconnect-NAK or CoA-NAK, with the Error-Cause and Reply-Message when the NAS sent them.
    case nak(errorCause: RadiusErrorCause?, message: String?)

    /// Reads an answer; `nil` when `response` answers neither as ACK nor as NAK to `request`.
    package init?(response: RadiusPacket, to request: RadiusCode) {
        guard let answers = request.dynamicAuthAnswers else { return nil }
        switch response.code {
        case answers.ack: self = .ack
        case answers.nak: self = .nak(errorCause: response.errorCause, message: response.replyMessage)
        default: return nil
        }
    }

    package var isACK: Bool { self == .ack }

    /// "ACK", "NAK: Session Context Not Found (503)".
    package var description: String {
        switch self {
        case .ack: return "ACK"
        case .nak(let cause, let message):
            let reasons = [cause?.description, message.map { "\"\($0)\"" }].compactMap { $0 }
            return reasons.isEmpty ? "NAK" : "NAK: " + reasons.joined(separator: ", ")
        }
    }
}
