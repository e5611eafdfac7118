import NIOCore
import PostgresNIO

/// One statement of a pipelined request: a named prepared statement (parsed on the connection the first
/// time it is used there) and its parameters.
package struct WireCall: Sendable {
    package var name: String
    package var sql: String
    package var bindings: WireBindings

    package init(name: String, sql: String, bindings: WireBindings = WireBindings()) {
        self.name = name
        self.sql = sql
        self.bindings = bindings
    }

    /// A statement type's SQL, prepared under the type's name.
    package init<Statement: SQLStatement>(_ statement: Statement.Type, _ bindings: WireBindings = WireBindings()) {
        self.init(name: String(reflecting: Statement.self), sql: Statement.sql, bindings: bindings)
    }
}

/// Statements sent in one write and closed by one `Sync`: Postgres runs them in one implicit transaction,
/// and answers with their results in order and a single `ReadyForQuery`.
struct WireRequest: Sendable {
    var calls: [WireCall]
    var promise: EventLoopPromise<[WireResult]>
}

/// Speaks the protocol on one connection: start-up and authentication, then pipelined requests. Many may
/// be in flight on one connection, answered in order. Lives on its channel's event loop only.
final class WireChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = WireRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<[WireResult]>
        /// Statements this request parses, in order; those whose `ParseComplete` never came (the request
        /// failed first) are forgotten again, so the next use parses them anew.
        var parsed: [String]
        var parseCompletes = 0
        var results: [WireResult] = []
        var current = WireResult()
        var error: WireError?
    }

    private enum State {
        case starting(SCRAMClient?)
        case ready
        case closed
    }

    private let user: String
    private let database: String
    private let password: String?
    private let started: EventLoopPromise<Void>
    private var state = State.starting(nil)
    private var decoder = NIOSingleStepByteToMessageProcessor(WireFrameDecoder(), maximumBufferSize: 512 << 20)
    private var pending = CircularBuffer<Pending>()
    private var prepared = Set<String>()

    init(user: String, database: String, password: String?, started: EventLoopPromise<Void>) {
        self.user = user
        self.database = database
        self.password = password
        self.started = started
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 96)
        WireFrontend.startup(user: user, database: database, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard case .ready = state else {
            request.promise.fail(WireError.connectionClosed)
            promise?.fail(WireError.connectionClosed)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 256 * request.calls.count)
        var parsed: [String] = []
        for call in request.calls {
            if prepared.insert(call.name).inserted {
                parsed.append(call.name)
                WireFrontend.parse(name: call.name, sql: call.sql, types: call.bindings.types, into: &buffer)
            }
            WireFrontend.bind(statement: call.name, bindings: call.bindings, into: &buffer)
            WireFrontend.describeAndExecute(into: &buffer)
        }
        WireFrontend.message("S", into: &buffer)
        pending.append(Pending(promise: request.promise, parsed: parsed))
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try decoder.process(buffer: unwrapInboundIn(data)) { frame in try handle(frame, context: context) }
        } catch let error as WireError {
            fail(context: context, error)
        } catch {
            fail(context: context, .protocolViolation("\(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, .protocolViolation("\(error)"))
    }

    // MARK: Backend messages

    private func handle(_ frame: WireFrame, context: ChannelHandlerContext) throws {
        var body = frame.body
        switch (frame.type, state) {
        case (UInt8(ascii: "R"), .starting(let scram)):
            try authenticate(&body, scram: scram, context: context)
        case (UInt8(ascii: "Z"), .starting):
            state = .ready
            started.succeed()
        case (UInt8(ascii: "E"), .starting):
            throw WireError.server(fields: body)
        case (UInt8(ascii: "S"), _), (UInt8(ascii: "K"), _), (UInt8(ascii: "N"), _), (UInt8(ascii: "A"), _):
            break  // parameter status, cancel key, notices, notifications: nothing to do
        case (_, .starting):
            throw WireError.protocolViolation("unexpected message during start-up")
        case (_, .closed):
            break
        case (let type, .ready):
            guard !pending.isEmpty else { throw WireError.protocolViolation("a reply without a request") }
            try handleReply(type, &body)
        }
    }

    private func handleReply(_ type: UInt8, _ body: inout ByteBuffer) throws {
        let head = pending.startIndex
        switch type {
        case UInt8(ascii: "1"):
            pending[head].parseCompletes += 1
        case UInt8(ascii: "2"):
            break  // BindComplete
        case UInt8(ascii: "T"):
            pending[head].current.columns = try Self.columns(&body)
        case UInt8(ascii: "n"):
            pending[head].current.columns = []
        case UInt8(ascii: "D"):
            pending[head].current.rows.append(WireRow(body: body, columns: pending[head].current.columns))
        case UInt8(ascii: "C"), UInt8(ascii: "I"):
            pending[head].current.commandTag = type == UInt8(ascii: "C") ? body.readNullTerminatedString() ?? "" : ""
            pending[head].results.append(pending[head].current)
            pending[head].current = WireResult()
        case UInt8(ascii: "E"):
            // Postgres skips the rest of the request up to its Sync, and rolls the transaction back there.
            if pending[head].error == nil { pending[head].error = WireError.server(fields: body) }
            for name in pending[head].parsed.dropFirst(pending[head].parseCompletes) { prepared.remove(name) }
        case UInt8(ascii: "Z"):
            let done = pending.removeFirst()
            // Only ever an implicit transaction: anything but idle means the session is not what we think.
            guard body.readInteger(as: UInt8.self) == UInt8(ascii: "I") else {
                done.promise.fail(WireError.protocolViolation("session left inside a transaction"))
                throw WireError.protocolViolation("session left inside a transaction")
            }
            if let error = done.error { done.promise.fail(error) } else { done.promise.succeed(done.results) }
        default:
            throw WireError.protocolViolation("unexpected message \(Character(UnicodeScalar(type)))")
        }
    }

    private static func columns(_ body: inout ByteBuffer) throws -> [WireColumn] {
        guard let count = body.readInteger(as: Int16.self) else { throw WireError.protocolViolation("RowDescription") }
        var columns: [WireColumn] = []
        columns.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let name = body.readNullTerminatedString(),
                  let (_, _, type, _, _, format) = body.readMultipleIntegers(as: (UInt32, Int16, UInt32, Int16, Int32, Int16).self)
            else { throw WireError.protocolViolation("RowDescription") }
            columns.append(WireColumn(name: name, dataType: PostgresDataType(type), format: format == 1 ? .binary : .text))
        }
        return columns
    }

    private func authenticate(_ body: inout ByteBuffer, scram: SCRAMClient?, context: ChannelHandlerContext) throws {
        guard let kind = body.readInteger(as: Int32.self) else { throw WireError.protocolViolation("Authentication") }
        switch kind {
        case 0:
            break  // AuthenticationOk; ReadyForQuery follows
        case 3:
            let password = try requiredPassword()
            send(context) { WireFrontend.message("p", into: &$0) { $0.writeCString(password) } }
        case 5:
            guard let salt = body.readBytes(length: 4) else { throw WireError.protocolViolation("AuthenticationMD5Password") }
            let answer = MD5Password.response(user: user, password: try requiredPassword(), salt: salt)
            send(context) { WireFrontend.message("p", into: &$0) { $0.writeCString(answer) } }
        case 10:
            var mechanisms: [String] = []
            while let name = body.readNullTerminatedString(), !name.isEmpty { mechanisms.append(name) }
            guard mechanisms.contains(SCRAMClient.mechanism) else {
                throw WireError.authentication("the server offers no supported SASL mechanism: \(mechanisms)")
            }
            let client = SCRAMClient(password: try requiredPassword())
            state = .starting(client)
            send(context) { buffer in
                WireFrontend.message("p", into: &buffer) { buffer in
                    buffer.writeCString(SCRAMClient.mechanism)
                    buffer.writeInteger(Int32(client.firstMessage.count))
                    buffer.writeBytes(client.firstMessage)
                }
            }
        case 11:
            guard var client = scram else { throw WireError.protocolViolation("SASLContinue before SASL") }
            let final = try client.finalMessage(serverFirst: body.readBytes(length: body.readableBytes) ?? [])
            state = .starting(client)
            send(context) { WireFrontend.message("p", into: &$0) { $0.writeBytes(final) } }
        case 12:
            guard let client = scram else { throw WireError.protocolViolation("SASLFinal before SASL") }
            try client.verify(serverFinal: body.readBytes(length: body.readableBytes) ?? [])
        default:
            throw WireError.authentication("unsupported authentication request \(kind)")
        }
    }

    private func requiredPassword() throws -> String {
        guard let password else { throw WireError.authentication("the server asks for a password and none is configured") }
        return password
    }

    private func send(_ context: ChannelHandlerContext, _ build: (inout ByteBuffer) -> Void) {
        var buffer = context.channel.allocator.buffer(capacity: 128)
        build(&buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// A broken stream cannot be resynchronised: fail everything waiting and close.
    private func fail(context: ChannelHandlerContext, _ error: WireError) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: WireError) {
        if case .starting = state { started.fail(error) }
        state = .closed
        while let request = pending.popFirst() { request.promise.fail(error) }
    }
}
