import Logging

package enum LoggingSetup {
    /// Bootstraps swift-log once for the process: JSON lines (default) or plain text, at the configured level.
    package static func bootstrap(format: AppConfig.LogFormat, level: Logger.Level) {
        switch format {
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
