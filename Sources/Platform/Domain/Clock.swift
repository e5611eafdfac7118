import Foundation
import Synchronization

/// The source of "now" for business rules, injected so tests can move through days and months.
package protocol WallClock: Sendable {
    func now() -> Date
}

package struct SystemWallClock: WallClock {
    package init() {}
    package func now() -> Date { Date() }
}

/// A clock tests set and advance by hand.
package final class ManualWallClock: WallClock {
    private let current: Mutex<Date>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        self.current = Mutex(start)
    }

    package func now() -> Date { current.withLock { $0 } }

    package func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    package func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
