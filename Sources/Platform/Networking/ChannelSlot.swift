import NIOCore
import Synchronization

/// One connection a client keeps open: made on first use, shared by every caller while it is up, made
/// again after it closed. Callers arriving while it connects wait for the same attempt; a failed attempt
/// is forgotten, so the next call tries again.
package final class ChannelSlot: Sendable {
    private let state = Mutex(State.empty)

    private enum State {
        case empty
        case connecting(EventLoopFuture<any Channel>)
        case connected(any Channel)
    }

    package init() {}

    /// The connected channel, made with `connect` when there is none.
    package func channel(_ connect: () -> EventLoopFuture<any Channel>) async throws -> any Channel {
        let future = state.withLock { state -> EventLoopFuture<any Channel> in
            switch state {
            case .connected(let channel) where channel.isActive:
                return channel.eventLoop.makeSucceededFuture(channel)
            case .connecting(let future):
                return future
            case .connected, .empty:
                let made = connect()
                state = .connecting(made)
                return made
            }
        }
        do {
            let channel = try await future.get()
            state.withLock { state in
                if case .connecting(let pending) = state, pending === future { state = .connected(channel) }
            }
            return channel
        } catch {
            state.withLock { state in
                if case .connecting(let pending) = state, pending === future { state = .empty }
            }
            throw error
        }
    }

    /// Closes the connection (or the one being made), leaving the slot empty.
    package func close() async {
        let previous = state.withLock { state -> State in
            defer { state = .empty }
            return state
        }
        switch previous {
        case .empty: break
        case .connecting(let future): if let channel = try? await future.get() { try? await channel.close() }
        case .connected(let channel): try? await channel.close()
        }
    }
}
