import Foundation
import Platform
import PostgresNIO

extension CustomerService {
    // MARK: Reads

    package func listCustomers(
        for principal: Principal, search: String?, status: String?, type: String?, zoneID: String?, packageID: String?,
        operatorID: String?, custom: [String: String], sort: String?, page: PageRequest
    ) async throws -> CustomerPage {
        var filter = try Self.filter(
            for: principal, search: search, status: status, type: type, zoneID: zoneID, packageID: packageID, operatorID: operatorID, sort: sort
        )
        let online = await onlineCustomers(tenantID: principal.tenantID)
        if custom.isEmpty, let first = try await customers.defaultView(filter, page: page, online: online, database: database, scope: principal.tenantScope) {
            return first
        }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await resolveCustomFilter(custom, into: &filter, on: connection)
            return try await customers.list(filter, page: page, online: online, on: connection)
        }
    }

    /// The whole filtered list (no paging) as CSV: `GET /api/v1/customers?format=csv`.
    package func exportCustomers(
        for principal: Principal, search: String?, status: String?, type: String?, zoneID: String?, packageID: String?,
        operatorID: String?, custom: [String: String], sort: String?
    ) async throws -> [UInt8] {
        var filter = try Self.filter(
            for: principal, search: search, status: status, type: type, zoneID: zoneID, packageID: packageID, operatorID: operatorID, sort: sort
        )
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await resolveCustomFilter(custom, into: &filter, on: connection)
            let fields = try await customFields.list(page: PageRequest(page: 1, perPage: 200), on: connection).items
            return try await customers.exportCSV(filter, fields: fields, on: connection)
        }
    }

    /// The plans of the list's two statements for these parameters (`EXPLAIN ANALYZE`, in the caller's scope),
    /// for benchmarks and for checking index use.
    package func explainListCustomers(
        for principal: Principal, search: String? = nil, status: String? = nil, type: String? = nil, zoneID: String? = nil,
        packageID: String? = nil, operatorID: String? = nil, sort: String? = nil, page: PageRequest = PageRequest()
    ) async throws -> (counts: [String], page: [String]) {
        let filter = try Self.filter(
            for: principal, search: search, status: status, type: type, zoneID: zoneID, packageID: packageID, operatorID: operatorID, sort: sort
        )
        let statements = CustomerRepository.listStatements(filter, page: page)
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            (try await customers.explain(statements.counts, on: connection), try await customers.explain(statements.page, on: connection))
        }
    }

    /// The same for the admin's cross-tenant search.
    package func explainAdminSearch(search: String?, status: String? = nil) async throws -> (count: [String], page: [String]) {
        let statements = CustomerRepository.adminStatements(search: search, tenantID: nil, status: status, page: PageRequest())
        return try await database.withPlatformTransaction { connection in
            (try await customers.explain(statements.count, on: connection), try await customers.explain(statements.page, on: connection))
        }
    }

    /// The list's filter from query parameters. Default view: active customers, newest first; with a search
    /// and no status, every status.
    static func filter(
        for principal: Principal, search: String?, status: String?, type: String?, zoneID: String?, packageID: String?,
        operatorID: String?, sort: String?
    ) throws -> CustomerFilter {
        var filter = CustomerFilter()
        filter.search = try search.flatMap { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : try Validate.text(trimmed, field: "q", max: 100)
        }
        switch status {
        case nil, "": filter.statuses = filter.search == nil ? [CustomerStatus.active.rawValue] : nil
        case "all": filter.statuses = nil
        case let text?:
            let statuses = text.split(separator: ",").map(String.init)
            guard !statuses.isEmpty, statuses.allSatisfy({ CustomerStatus(rawValue: $0) != nil }) else {
                throw PlatformError.invalidInput(field: "status", reason: "must be all or a comma-separated list of active, expired, suspended, disabled")
            }
            filter.statuses = statuses
        }
        filter.type = try type.map { try Self.customerType($0).rawValue }
        filter.zoneID = try zoneID.map { try Validate.positiveID($0, field: "zone_id") }
        filter.packageID = try packageID.map { try Validate.positiveID($0, field: "package_id") }
        filter.operatorID = try operatorID.map { try Validate.positiveID($0, field: "operator_id") }
        if let sort {
            guard let value = CustomerSort(rawValue: sort) else {
                throw PlatformError.invalidInput(field: "sort", reason: "must be one of: \(CustomerSort.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.sort = value
        }
        filter.operators = operatorList(principal)
        return filter
    }

    /// `cf.<key>=value` filters: the key must be a field of the tenant, the value is normalised by its type.
    func resolveCustomFilter(_ custom: [String: String], into filter: inout CustomerFilter, on connection: PostgresConnection) async throws {
        guard !custom.isEmpty else { return }
        let fields = try await customFields.list(page: PageRequest(page: 1, perPage: 200), on: connection).items
        for (key, value) in custom {
            guard let field = fields.first(where: { $0.key == key }) else {
                throw PlatformError.invalidInput(field: "cf.\(key)", reason: "no such custom field")
            }
            var optional = field
            optional.required = false
            guard let normalized = try optional.normalized(value) else {
                throw PlatformError.invalidInput(field: "cf.\(key)", reason: "must not be empty")
            }
            filter.custom[key] = normalized
        }
    }

    /// One customer with its provisioning state.
    /// One live customer with its provisioning state: both statements and the scope switch in one round
    /// trip on the read path.
    package func customer(id: Int64, for principal: Principal) async throws -> Customer {
        var bindings = WireBindings()
        bindings.append(id)
        let results = try await database.tenantRead(
            principal.tenantScope, [WireCall(CustomerByID.self, bindings), WireCall(ProvisioningStatusOf.self, bindings)]
        )
        guard let row = results[0].rows.first else { throw PlatformError.notFound("customer") }
        var customer = try CustomerRepository.customer(row)
        customer.provisioning = try results[1].rows.first.map(CustomerRepository.provisioningStatus) ?? .pending
        return await withOnline(customer, tenantID: principal.tenantID)
    }

    package func deletedCustomers(for principal: Principal, search: String?, page: PageRequest) async throws -> CustomerPage {
        let search = try search.flatMap { text in
            text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try Validate.text(text, field: "q", max: 100)
        }
        let online = await onlineCustomers(tenantID: principal.tenantID)
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            try await customers.deleted(search: search, operators: Self.operatorList(principal), page: page, online: online, on: connection)
        }
    }

    /// The customer's password in clear, for the tenant's owner (admin or reseller) only; the read is logged.
    package func customerPassword(id: Int64, by actor: Actor) async throws -> String? {
        let principal = actor.principal
        guard principal.role != .subReseller else {
            throw PlatformError.forbidden("only the tenant's owner may read customer passwords")
        }
        return try await database.withTenantTransaction(principal.tenantScope) { connection in
            guard let (sealed, operatorID) = try await customers.sealedPassword(id: id, on: connection) else {
                throw PlatformError.notFound("customer")
            }
            try await customers.log(action: "password_viewed", customerID: id, operatorID: operatorID, actor: actor, on: connection)
            guard let sealed else { return nil }
            return try secrets.open(Array(sealed), context: Self.passwordContext(tenantID: principal.tenantID))
        }
    }

    // MARK: Create and edit

    package func createCustomer(by actor: Actor, _ input: CustomerInput) async throws -> Customer {
        let principal = actor.principal
        guard let typeText = input.type else { throw PlatformError.unprocessable(field: "type", code: "missing_field", reason: "is required") }
        let type = try Self.customerType(typeText)
        if type == .staticMonthly, !principal.isAdmin {
            throw PlatformError.forbidden("static-IP customers are created by the ISP (admin) only")
        }
        func required<T>(_ value: T?, _ field: String, because why: String = "is required") throws -> T {
            guard let value else { throw PlatformError.unprocessable(field: field, code: "missing_field", reason: why) }
            return value
        }
        let username = try Validate.username(try required(input.username, "username"))
        let fullName = try Validate.text(try required(input.fullName, "full_name"), field: "full_name", max: 200)
        var password: String?
        if type.authenticates {
            password = try Self.customerPassword(try required(input.password, "password", because: "is required for \(type.rawValue) customers"))
        } else if let given = input.password {
            password = try Self.customerPassword(given)
        }
        let phone: String? = try {
            if type == .hotspot { return try input.phone.map { try Validate.phone($0) } }
            return try Validate.phone(try required(input.phone, "phone", because: "is required for \(type.rawValue) customers"))
        }()
        let packageID: Int64? = type == .other ? input.packageID : try required(input.packageID, "package_id", because: "is required for \(type.rawValue) customers")
        let profileID: Int64? = type.isMonthly
            ? try required(input.billingProfileID, "billing_profile_id", because: "is required for monthly customers") : input.billingProfileID
        let staticIP: String? = type == .staticMonthly
            ? try Validate.ipv4(try required(input.staticIP, "static_ip", because: "is required for static-IP customers"), field: "static_ip")
            : try input.staticIP.map { try Validate.ipv4($0, field: "static_ip") }
        if type.isPrepaid, input.expiresAt != nil, !principal.isAdmin {
            throw PlatformError.forbidden("a prepaid customer's validity is bought by recharge; only the ISP (admin) sets it directly")
        }
        let operatorID = input.operatorID ?? principal.operatorID
        var status = CustomerStatus.active
        if let text = input.status {
            guard let value = CustomerStatus(rawValue: text), value == .active || value == .disabled else {
                throw PlatformError.invalidInput(field: "status", reason: "a new customer is active or disabled")
            }
            status = value
        }
        var draft = CustomerDraft(
            code: try input.code.map { try Self.code($0) }, type: type, operatorID: operatorID, username: username, password: nil,
            fullName: fullName, phone: phone, email: try input.email.map { try Validate.email($0) },
            address: try Self.address(input.address ?? .init()), zoneID: input.zoneID, packageID: packageID,
            billingProfileID: profileID, nasID: input.nasID, staticIP: staticIP,
            clientType: try Self.choice(input.clientType ?? "home", field: "client_type", in: ["home", "corporate", "sme"]),
            connectionType: try Self.choice(input.connectionType ?? "wired", field: "connection_type", in: ["wired", "wireless"]),
            connectivity: try Self.choice(input.connectivity ?? "shared", field: "connectivity", in: ["shared", "dedicated"]),
            gender: try input.gender.map { try Self.choice($0, field: "gender", in: ["male", "female", "other"]) },
            nid: try input.nid.map { try Self.nid($0) }, connectionDate: try input.connectionDate.map { try Validate.date($0, field: "connection_date") },
            expiresAt: input.expiresAt, status: status, custom: [:],
            notes: try input.notes.map { try Validate.text($0, field: "notes", max: 5000) }
        )
        if let password {
            draft.password = Data(try secrets.seal(password, context: Self.passwordContext(tenantID: principal.tenantID)))
        }
        let customer = try await database.withTenantTransaction(principal.tenantScope) { connection in
            let context = try await customers.writeContext(
                operatorID: operatorID, packageID: packageID, profileID: profileID, zoneID: draft.zoneID, nasID: draft.nasID, on: connection
            )
            try Self.check(context, operatorID: operatorID, packageID: packageID, type: type, principal: principal, newPackage: true)
            draft.custom = try Self.customValues(input.customFields ?? [:], current: [:], fields: context.fields)
            let inserted = try await customers.insert(draft, tenantID: principal.tenantID, actor: actor, on: connection)
            guard type.isPrepaid, draft.expiresAt == nil, status == .active else { return inserted }
            // A new active prepaid customer buys its first validity period of the package: the operators'
            // wallets are charged in this transaction (not enough money: nothing is created).
            try await customers.firstRecharge(customerID: inserted.id, now: clock.now(), actor: actor, on: connection)
            guard let charged = try await customers.customer(id: inserted.id, on: connection) else {
                throw PlatformError.internalError("customer vanished after its first recharge")
            }
            return charged
        }
        return await withOnline(customer, tenantID: principal.tenantID)
    }

    /// Changes the given fields (nulls clear optional ones). Package, operator, status and password change
    /// through their actions. Required custom fields are enforced on every edit.
    package func updateCustomer(id: Int64, by actor: Actor, _ input: CustomerInput) async throws -> Customer {
        let principal = actor.principal
        for (field, given) in [("type", input.type != nil), ("package_id", input.packageID != nil), ("operator_id", input.operatorID != nil),
                               ("status", input.status != nil), ("password", input.password != nil), ("expires_at", input.expiresAt != nil)] where given {
            throw PlatformError.invalidInput(field: field, reason: "cannot be edited here; use the customer's actions")
        }
        let customer = try await database.withTenantTransaction(principal.tenantScope) { connection in
            guard let current = try await customers.customer(id: id, on: connection) else { throw PlatformError.notFound("customer") }
            let nulls = input.nulls
            func merged<T>(_ key: String, _ value: T?, _ old: T?) -> T? { nulls.contains(key) ? nil : (value ?? old) }
            var b = SQLBuilder()
            var sets: [String] = []
            if let username = input.username { sets.append("username = \(b.bind(try Validate.username(username)))") }
            if let name = input.fullName { sets.append("full_name = \(b.bind(try Validate.text(name, field: "full_name", max: 200)))") }
            if nulls.contains("phone") {
                guard current.type == .hotspot else { throw PlatformError.unprocessable(field: "phone", code: "missing_field", reason: "is required for \(current.type.rawValue) customers") }
                sets.append("phone = NULL")
            } else if let phone = input.phone { sets.append("phone = \(b.bind(try Validate.phone(phone)))") }
            if nulls.contains("email") { sets.append("email = NULL") } else if let email = input.email { sets.append("email = \(b.bind(try Validate.email(email)))") }
            if nulls.contains("address") {
                sets.append("house = NULL, road = NULL, area = NULL, thana = NULL, district = NULL, division = NULL")
            } else if let address = input.address {
                let clean = try Self.address(address)
                for (key, value) in [("house", clean.house), ("road", clean.road), ("area", clean.area), ("thana", clean.thana), ("district", clean.district), ("division", clean.division)] {
                    if nulls.contains("address.\(key)") { sets.append("\(key) = NULL") } else if let value { sets.append("\(key) = \(b.bind(value))") }
                }
            }
            let zoneID = merged("zone_id", input.zoneID, current.zoneID)
            if nulls.contains("zone_id") || input.zoneID != nil { sets.append("zone_id = \(b.bind(zoneID))") }
            let profileID = merged("billing_profile_id", input.billingProfileID, current.billingProfileID)
            if current.type.isMonthly, profileID == nil {
                throw PlatformError.unprocessable(field: "billing_profile_id", code: "missing_field", reason: "is required for monthly customers")
            }
            if nulls.contains("billing_profile_id") || input.billingProfileID != nil { sets.append("billing_profile_id = \(b.bind(profileID))") }
            if nulls.contains("nas_id") || input.nasID != nil { sets.append("nas_id = \(b.bind(merged("nas_id", input.nasID, current.nasID)))") }
            if nulls.contains("static_ip") {
                guard current.type != .staticMonthly else {
                    throw PlatformError.unprocessable(field: "static_ip", code: "missing_field", reason: "is required for static-IP customers")
                }
                sets.append("static_ip = NULL")
            } else if let ip = input.staticIP {
                if current.type == .staticMonthly, !principal.isAdmin { throw PlatformError.forbidden("static IPs are managed by the ISP (admin) only") }
                sets.append("static_ip = \(b.bind(try Validate.ipv4(ip, field: "static_ip")))::inet")
            }
            if let value = input.clientType { sets.append("client_type = \(b.bind(try Self.choice(value, field: "client_type", in: ["home", "corporate", "sme"])))") }
            if let value = input.connectionType { sets.append("connection_type = \(b.bind(try Self.choice(value, field: "connection_type", in: ["wired", "wireless"])))") }
            if let value = input.connectivity { sets.append("connectivity = \(b.bind(try Self.choice(value, field: "connectivity", in: ["shared", "dedicated"])))") }
            if nulls.contains("gender") { sets.append("gender = NULL") } else if let value = input.gender { sets.append("gender = \(b.bind(try Self.choice(value, field: "gender", in: ["male", "female", "other"])))") }
            if nulls.contains("nid") { sets.append("nid = NULL") } else if let value = input.nid { sets.append("nid = \(b.bind(try Self.nid(value)))") }
            if let value = input.connectionDate { sets.append("connection_date = \(b.bind(try Validate.date(value, field: "connection_date")))::date") }
            if nulls.contains("notes") { sets.append("notes = NULL") } else if let value = input.notes { sets.append("notes = \(b.bind(try Validate.text(value, field: "notes", max: 5000)))") }
            if let code = input.code { sets.append("code = \(b.bind(try Self.code(code)))") }

            // Only a router being given is checked: one the customer is already on stays, even when its tenant's
            // assignment has gone since.
            let context = try await customers.writeContext(
                operatorID: current.operatorID, packageID: current.packageID, profileID: profileID, zoneID: zoneID,
                nasID: nulls.contains("nas_id") ? nil : input.nasID, on: connection
            )
            guard context.zoneExists else { throw PlatformError.unprocessable(field: "zone_id", code: "unknown_reference", reason: "no such zone") }
            guard context.profileExists else { throw PlatformError.unprocessable(field: "billing_profile_id", code: "unknown_reference", reason: "no such billing profile") }
            guard context.routerVisible else { throw Self.routerNotVisible }
            let custom = try Self.customValues(input.customFields ?? [:], current: current.customFields, fields: context.fields)
            if custom != current.customFields { sets.append("custom = \(b.bind(CustomerRepository.json(custom)))::jsonb") }
            guard !sets.isEmpty else { return current }
            let changed = try await customers.change(
                ids: [id], builder: b, assignments: sets.joined(separator: ", "), legal: "c.deleted_at IS NULL", action: "update",
                outbox: .whenChanged("updated", fields: ["username", "static_ip", "nas_id"]),
                tenantID: principal.tenantID, actor: actor, on: connection
            )
            guard let customer = changed.first else { throw PlatformError.notFound("customer") }
            return customer
        }
        return await withOnline(customer, tenantID: principal.tenantID)
    }

    // MARK: Rules

    /// A `nas_id` that is no router, or one not assigned to the caller's tenant (the admin's tenant may use all).
    static let routerNotVisible = PlatformError.unprocessable(field: "nas_id", code: "unknown_reference", reason: "no such router assigned to your tenant")

    /// Checks a write's references: the operator is visible and active, the package exists, is for this
    /// type, is active and is assigned to the operator (the ISP's own operator may use every package).
    static func check(_ context: WriteContext, operatorID: Int64, packageID: Int64?, type: CustomerType, principal: Principal, newPackage: Bool) throws {
        guard let operatorStatus = context.operatorStatus else {
            throw PlatformError.unprocessable(field: "operator_id", code: "unknown_reference", reason: "no such operator of yours")
        }
        guard operatorStatus == "active" else {
            throw PlatformError.unprocessable(field: "operator_id", code: "operator_suspended", reason: "the operator is suspended")
        }
        guard context.zoneExists else { throw PlatformError.unprocessable(field: "zone_id", code: "unknown_reference", reason: "no such zone") }
        guard context.profileExists else {
            throw PlatformError.unprocessable(field: "billing_profile_id", code: "unknown_reference", reason: "no such billing profile")
        }
        guard context.routerVisible else { throw routerNotVisible }
        guard let packageID else { return }
        guard let packageType = context.packageType else {
            throw PlatformError.unprocessable(field: "package_id", code: "unknown_reference", reason: "no such package \(packageID)")
        }
        guard packageType == type.rawValue else {
            throw PlatformError.unprocessable(field: "package_id", code: "package_type_mismatch", reason: "the package is for \(packageType) customers")
        }
        if newPackage, context.packageStatus != "active" {
            throw PlatformError.unprocessable(field: "package_id", code: "package_archived", reason: "the package is archived")
        }
        let ownsEverything = principal.isAdmin && context.operatorKind == "owner"
        guard ownsEverything || context.packageAssigned else {
            throw PlatformError.unprocessable(field: "package_id", code: "package_not_assigned", reason: "the package is not assigned to this operator")
        }
    }

    /// Stored custom values: `current` with `given` applied (empty or null removes a value), each checked
    /// by its field's type; unknown keys are refused; required fields must have a value.
    static func customValues(_ given: [String: AnyJSON], current: [String: String], fields: [CustomField]) throws -> [String: String] {
        var values = current.filter { key, _ in fields.contains { $0.key == key } }
        for (key, raw) in given {
            guard let field = fields.first(where: { $0.key == key }) else {
                throw PlatformError.invalidInput(field: "custom_fields.\(key)", reason: "no such custom field")
            }
            let text: String?
            switch raw {
            case .null: text = nil
            case .string(let value): text = value
            case .number(let value): text = value.rounded() == value && abs(value) < 9e15 ? String(Int64(value)) : String(value)
            case .bool(let value): text = String(value)
            default: throw PlatformError.invalidInput(field: "custom_fields.\(key)", reason: "must be a text, number or date")
            }
            var optional = field
            optional.required = false
            values[key] = try optional.normalized(text)
        }
        for field in fields where field.required && values[field.key] == nil {
            throw PlatformError.unprocessable(field: "custom_fields.\(field.key)", code: "missing_field", reason: "is required")
        }
        return values
    }

    static func customerType(_ text: String) throws -> CustomerType {
        guard let type = CustomerType(rawValue: text) else {
            throw PlatformError.invalidInput(field: "type", reason: "must be one of: \(CustomerType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return type
    }

    static func choice(_ value: String, field: String, in options: [String]) throws -> String {
        guard options.contains(value) else { throw PlatformError.invalidInput(field: field, reason: "must be one of: \(options.joined(separator: ", "))") }
        return value
    }

    /// Customer passwords (PPPoE/hotspot secrets): 4-64 printable ASCII characters, no spaces.
    static func customerPassword(_ value: String) throws -> String {
        guard (4...64).contains(value.unicodeScalars.count), value.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            throw PlatformError.invalidInput(field: "password", reason: "must be 4-64 printable ASCII characters without spaces")
        }
        return value
    }

    static func code(_ value: String) throws -> String {
        guard (1...32).contains(value.count), let first = value.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first),
              value.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        else { throw PlatformError.invalidInput(field: "code", reason: "must be 1-32 letters, digits or '-'") }
        return value
    }

    static func nid(_ value: String) throws -> String {
        let trimmed = Validate.trimmed(value, newlines: false)
        guard (1...40).contains(trimmed.count), trimmed.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw PlatformError.invalidInput(field: "nid", reason: "must be 1-40 letters, digits or '-' (NID or passport number)")
        }
        return trimmed
    }

    static func address(_ address: Customer.Address) throws -> Customer.Address {
        func part(_ value: String?, _ name: String) throws -> String? {
            guard let value, !Validate.trimmed(value, newlines: false).isEmpty else { return nil }
            return try Validate.text(value, field: "address.\(name)", max: 100)
        }
        return Customer.Address(
            house: try part(address.house, "house"), road: try part(address.road, "road"), area: try part(address.area, "area"),
            thana: try part(address.thana, "thana"), district: try part(address.district, "district"), division: try part(address.division, "division")
        )
    }

    /// A sub-reseller's own operator ids, as an explicit filter; nil for a tenant's owner.
    static func operatorList(_ principal: Principal) -> [Int64]? {
        if case .only(let ids) = principal.tenantScope.operators { return ids.sorted() }
        return nil
    }
}
