import Logging
import Platform

/// Operators' identities: sign-in, sessions, API tokens, resellers (tenants) and sub-resellers.
/// Owns `platform.users`, `platform.api_tokens`, `platform.auth_events` and the Redis session keys.
package struct AuthService: Sendable {
    package let database: Database
    package let redis: RedisClient
    package let hasher: PasswordHasher
    package let sessions: SessionStore
    package let throttle: LoginThrottle
    package let tenants: TenantDirectory
    package let clock: any WallClock
    package let logger: Logger
    let users: UserRepository
    let tokens: TokenRepository
    /// How long a token's grant is cached in Redis; revocation evicts it at once.
    let tokenCacheSeconds = 60

    package init(
        database: Database, redis: RedisClient, hasher: PasswordHasher, config: AuthConfig,
        tenants: TenantDirectory, clock: any WallClock, logger: Logger
    ) {
        self.database = database
        self.redis = redis
        self.hasher = hasher
        self.sessions = SessionStore(redis: redis, ttlSeconds: config.sessionTTLSeconds)
        self.throttle = LoginThrottle(redis: redis, maxFailures: config.maxFailedLogins, windowSeconds: config.failedLoginWindowSeconds)
        self.tenants = tenants
        self.clock = clock
        self.logger = logger
        self.users = UserRepository(logger: logger)
        self.tokens = TokenRepository(logger: logger)
    }
}
