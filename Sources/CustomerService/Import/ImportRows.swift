import Foundation
import Logging
import Platform

/// The columns of a customer import file, matched by header name (any order, any case, surrounding spaces
/// ignored). The template's columns come first; the address parts and the record's other fields are
/// accepted too. Any other header is a custom field's key or is reported as unknown.
enum ImportColumn: String, CaseIterable, Sendable {
    case username, password, fullName = "full_name", phone, email, `operator`, package, billingProfile = "billing_profile", zone,
         address, type, expiresAt = "expires_at", staticIP = "static_ip", mac
    case house, road, area, thana, district, division
    case clientType = "client_type", connectionType = "connection_type", connectivity, gender, nid
    case connectionDate = "connection_date", notes

    /// The template's columns, in its order (custom field keys follow).
    static let template: [ImportColumn] = [
        .username, .password, .fullName, .phone, .email, .operator, .package, .billingProfile, .zone, .address, .type, .expiresAt,
        .staticIP, .mac,
    ]
}

/// What an import resolves names against: the caller's tenant as the caller may see it.
struct ImportReferences: Sendable {
    struct Operator: Sendable {
        var id: Int64
        var name: String
        var kind: String
        var status: String
    }

    struct Package: Sendable {
        var id: Int64
        var name: String
        var type: CustomerType
        var active: Bool
        /// Operators it is assigned to.
        var operators: Set<Int64>
    }

    var operators: [Operator]
    var packages: [Package]
    /// Billing profiles and zones: id → name.
    var profiles: [Int64: String]
    var zones: [Int64: String]
    var fields: [CustomField]
    var timeZone: TimeZone

    /// By id, or by name (case-insensitive); a name two of them share resolves to neither.
    struct Index<T: Sendable>: Sendable {
        private var byID: [Int64: T] = [:]
        private var byName: [String: T?] = [:]

        init(_ items: [T], id: (T) -> Int64, name: (T) -> String) {
            for item in items {
                byID[id(item)] = item
                let key = name(item).lowercased()
                byName[key] = byName[key] == nil ? item : .some(nil)
            }
        }

        func resolve(_ text: String) -> T? {
            if let number = Int64(text), let found = byID[number] { return found }
            return byName[text.lowercased()] ?? nil
        }
    }
}

/// One error of an import: the file's line, the column, the value as given (cut to 200 characters), a
/// stable code and a message.
package struct ImportError: Sendable, Hashable, Codable {
    package var line: Int
    package var column: String?
    package var value: String?
    package var code: String
    package var message: String

    init(line: Int, column: String?, value: String?, code: String, message: String) {
        self.line = line
        self.column = column
        self.value = value.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
        self.code = code
        self.message = message
    }
}

/// A row that passed every check that needs no database: the customer as a create would insert it
/// (normalised, its names resolved, its password sealed) and its MAC binding. The database then checks
/// what only it knows (usernames of other tenants, static IPs and MACs in use).
struct ImportRow: Sendable {
    var line: Int
    var customer: CustomerDraft
    var mac: String?
}

/// Reads a file's header and checks its rows one by one, without the database: required fields by type,
/// formats (username, phone, e-mail, MAC, IPv4, dates), names of operators, packages, billing profiles and
/// zones the caller may use, custom fields by type, and duplicates within the file.
struct ImportValidator {
    let references: ImportReferences
    let principal: Principal
    let now: Date
    let seal: @Sendable (String) throws -> Data
    private let calendar: Calendar
    private let localSeconds: DateFormatter
    private let localMinutes: DateFormatter
    private let operators: ImportReferences.Index<ImportReferences.Operator>
    private let packages: ImportReferences.Index<ImportReferences.Package>
    private let profiles: ImportReferences.Index<Named>
    private let zones: ImportReferences.Index<Named>

    struct Named: Sendable {
        var id: Int64
        var name: String
    }

    init(references: ImportReferences, principal: Principal, now: Date, seal: @escaping @Sendable (String) throws -> Data) {
        self.references = references
        self.principal = principal
        self.now = now
        self.seal = seal
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = references.timeZone
        self.calendar = calendar
        func formatter(_ format: String) -> DateFormatter {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = references.timeZone
            formatter.dateFormat = format
            return formatter
        }
        self.localSeconds = formatter("yyyy-MM-dd HH:mm:ss")
        self.localMinutes = formatter("yyyy-MM-dd HH:mm")
        self.operators = .init(references.operators, id: \.id, name: \.name)
        self.packages = .init(references.packages, id: \.id, name: \.name)
        self.profiles = .init(references.profiles.map { Named(id: $0.key, name: $0.value) }, id: \.id, name: \.name)
        self.zones = .init(references.zones.map { Named(id: $0.key, name: $0.value) }, id: \.id, name: \.name)
    }

    /// Header position of each known column and of each custom field; the headers that are neither.
    struct Header {
        var columns: [ImportColumn: Int] = [:]
        var custom: [String: Int] = [:]
        var unknown: [String] = []
    }

    static func header(_ cells: [String?], fields: [CustomField]) -> (Header, [ImportError]) {
        var header = Header()
        var errors: [ImportError] = []
        for (index, raw) in cells.enumerated() {
            let name = (raw ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            if name.isEmpty { continue }
            if let column = ImportColumn(rawValue: name) {
                if header.columns[column] != nil {
                    errors.append(ImportError(line: 1, column: name, value: raw, code: "duplicate_column", message: "the column appears twice"))
                }
                header.columns[column] = index
            } else if let field = fields.first(where: { $0.key.lowercased() == name }) {
                header.custom[field.key] = index
            } else {
                header.unknown.append(raw ?? name)
            }
        }
        for required in [ImportColumn.username, .fullName, .package] where header.columns[required] == nil {
            errors.append(ImportError(line: 1, column: required.rawValue, value: nil, code: "missing_column", message: "the file has no \(required.rawValue) column"))
        }
        return (header, errors)
    }

    /// One record as checked: the row when it has no error, every error of the record (not only the
    /// first), and the keys that must be unique within the file (normalised, when well-formed).
    struct Checked: Sendable {
        var line: Int
        var row: ImportRow?
        var errors: [ImportError]
        var username: String?
        var staticIP: String?
        var mac: String?
    }

    /// Marks the second and later records of a username, static IP or MAC as duplicates (in line order,
    /// after the records were checked, possibly in parallel).
    static func markDuplicates(_ checked: inout [Checked]) {
        var usernames = Set<String>(), addresses = Set<String>(), macs = Set<String>()
        for index in checked.indices {
            let line = checked[index].line
            if let name = checked[index].username, !usernames.insert(name.lowercased()).inserted {
                checked[index].errors.append(ImportError(line: line, column: "username", value: name, code: "duplicate_in_file",
                                                         message: "the username appears on an earlier line of the file"))
                checked[index].row = nil
            }
            if let ip = checked[index].staticIP, !addresses.insert(ip).inserted {
                checked[index].errors.append(ImportError(line: line, column: "static_ip", value: ip, code: "duplicate_in_file",
                                                         message: "the static IP appears on an earlier line of the file"))
                checked[index].row = nil
            }
            if let mac = checked[index].mac, !macs.insert(mac).inserted {
                checked[index].errors.append(ImportError(line: line, column: "mac", value: mac, code: "duplicate_in_file",
                                                         message: "the MAC address appears on an earlier line of the file"))
                checked[index].row = nil
            }
        }
    }

    /// Checks one record (duplicates within the file aside: `markDuplicates`).
    func validate(_ record: CSV.Record, header: Header) -> Checked {
        var errors: [ImportError] = []
        let line = record.line
        var keys: (username: String?, ip: String?, mac: String?) = (nil, nil, nil)
        func checked(_ row: ImportRow?) -> Checked {
            Checked(line: line, row: errors.isEmpty ? row : nil, errors: errors, username: keys.username, staticIP: keys.ip, mac: keys.mac)
        }
        // Each known column's trimmed value (absent when empty); a cell not in the file's encoding is an error.
        var values: [ImportColumn: String] = [:]
        var undecodable: Set<ImportColumn> = []
        for (column, index) in header.columns where index < record.cells.count {
            guard let cell = record.cells[index] else {
                errors.append(ImportError(line: line, column: column.rawValue, value: nil, code: "invalid_encoding", message: "is not valid text in the file's encoding"))
                undecodable.insert(column)
                continue
            }
            let trimmed = Validate.trimmed(cell)
            if !trimmed.isEmpty { values[column] = trimmed }
        }
        func value(_ column: ImportColumn) -> String? { values[column] }
        func check<T>(_ column: ImportColumn, _ given: String?, _ body: (String) throws -> T) -> T? {
            guard let given else { return nil }
            do { return try body(given) } catch {
                errors.append(Self.error(error, line: line, column: column.rawValue, value: given))
                return nil
            }
        }
        func missing(_ column: ImportColumn, _ why: String = "is required") {
            // A cell that could not be read is already reported.
            guard !undecodable.contains(column) else { return }
            errors.append(ImportError(line: line, column: column.rawValue, value: nil, code: "missing_field", message: why))
        }
        func refused(_ column: ImportColumn, _ given: String, _ code: String, _ message: String) {
            errors.append(ImportError(line: line, column: column.rawValue, value: given, code: code, message: message))
        }

        // Who: the username (unique within the file too), the operator.
        let usernameText = value(.username)
        let username = check(.username, usernameText) { try Validate.username($0) }
        if usernameText == nil { missing(.username) }
        keys.username = username
        var operatorID = principal.operatorID
        if let given = value(.operator) {
            if let found = operators.resolve(given) {
                if found.status != "active" {
                    refused(.operator, given, "operator_suspended", "the operator is suspended")
                } else {
                    operatorID = found.id
                }
            } else {
                refused(.operator, given, "unknown_reference", "no such operator of yours")
            }
        }

        // What: the package decides the type; a type given must agree.
        var type: CustomerType?
        if let given = value(.type) {
            if let known = CustomerType(rawValue: given.lowercased()) { type = known } else {
                refused(.type, given, "invalid_value", "must be one of: \(CustomerType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        var packageID: Int64?
        if let given = value(.package) {
            if let found = packages.resolve(given) {
                if let type, type != found.type {
                    refused(.package, given, "package_type_mismatch", "the package is for \(found.type.rawValue) customers")
                } else if !found.active {
                    refused(.package, given, "package_archived", "the package is archived")
                } else if !(found.operators.contains(operatorID) || (principal.isAdmin && references.operators.first { $0.id == operatorID }?.kind == "owner")) {
                    refused(.package, given, "package_not_assigned", "the package is not assigned to this operator")
                } else {
                    packageID = found.id
                    type = found.type
                }
            } else {
                refused(.package, given, "unknown_reference", "no such package")
            }
        } else if type != .other {
            missing(.package)
        }
        if type == .staticMonthly, !principal.isAdmin {
            errors.append(ImportError(line: line, column: ImportColumn.type.rawValue, value: type?.rawValue, code: "forbidden",
                                      message: "static-IP customers are created by the ISP (admin) only"))
        }

        let fullNameText = value(.fullName)
        let fullName = check(.fullName, fullNameText) { try Validate.text($0, field: "full_name", max: 200) }
        if fullNameText == nil { missing(.fullName) }

        let passwordText = value(.password)
        let password = check(.password, passwordText) { try CustomerService.customerPassword($0) }
        if passwordText == nil, type?.authenticates == true { missing(.password, "is required for \(type!.rawValue) customers") }

        let phoneText = value(.phone)
        let phone = check(.phone, phoneText) { try Validate.phone($0) }
        if phoneText == nil, let type, type != .hotspot { missing(.phone, "is required for \(type.rawValue) customers") }
        let email = check(.email, value(.email)) { try Validate.email($0) }

        var profileID: Int64?
        if let given = value(.billingProfile) {
            if let found = profiles.resolve(given) {
                profileID = found.id
            } else {
                refused(.billingProfile, given, "unknown_reference", "no such billing profile")
            }
        } else if type?.isMonthly == true {
            missing(.billingProfile, "is required for monthly customers")
        }
        var zoneID: Int64?
        if let given = value(.zone) {
            if let found = zones.resolve(given) {
                zoneID = found.id
            } else {
                refused(.zone, given, "unknown_reference", "no such zone")
            }
        }

        let staticIP = check(.staticIP, value(.staticIP)) { try Validate.ipv4($0, field: "static_ip") }
        if type == .staticMonthly, value(.staticIP) == nil { missing(.staticIP, "is required for static-IP customers") }
        let mac = check(.mac, value(.mac)) { try Validate.mac($0) }
        keys.ip = staticIP
        keys.mac = mac

        // Validity: only the ISP sets a prepaid customer's expiry directly (a reseller's is bought by recharge).
        var expiresAt: Date?
        if let given = value(.expiresAt) {
            if type?.isPrepaid == true, !principal.isAdmin {
                refused(.expiresAt, given, "forbidden", "a prepaid customer's validity is bought by recharge; only the ISP (admin) sets it; leave it empty to import the customer as expired")
            } else {
                expiresAt = check(.expiresAt, given) { try expiry($0) }
            }
        }

        // The address: `address` is the free-text area unless an `area` column is given.
        var address: Customer.Address?
        do {
            address = try CustomerService.address(Customer.Address(
                house: value(.house), road: value(.road), area: value(.area) ?? value(.address), thana: value(.thana),
                district: value(.district), division: value(.division)
            ))
        } catch {
            // `address.<part>`: the part's column, or `address` for the free text.
            var column = "address"
            if case PlatformError.invalidInput(let field, _) = error, let part = field.split(separator: ".").last,
               let known = ImportColumn(rawValue: String(part)), header.columns[known] != nil { column = known.rawValue }
            errors.append(Self.error(error, line: line, column: column, value: ImportColumn(rawValue: column).flatMap(value)))
        }
        let clientType = check(.clientType, value(.clientType)?.lowercased()) { try CustomerService.choice($0, field: "client_type", in: ["home", "corporate", "sme"]) }
        let connectionType = check(.connectionType, value(.connectionType)?.lowercased()) { try CustomerService.choice($0, field: "connection_type", in: ["wired", "wireless"]) }
        let connectivity = check(.connectivity, value(.connectivity)?.lowercased()) { try CustomerService.choice($0, field: "connectivity", in: ["shared", "dedicated"]) }
        let gender = check(.gender, value(.gender)?.lowercased()) { try CustomerService.choice($0, field: "gender", in: ["male", "female", "other"]) }
        let nid = check(.nid, value(.nid)) { try CustomerService.nid($0) }
        let connectionDate = check(.connectionDate, value(.connectionDate)) { try Validate.date($0, field: "connection_date") }
        let notes = check(.notes, value(.notes)) { try Validate.text($0, field: "notes", max: 5000) }

        var custom: [String: String] = [:]
        for field in references.fields {
            let cell: String?? = header.custom[field.key].map { $0 < record.cells.count ? record.cells[$0] : "" }
            if case .some(.none) = cell {
                errors.append(ImportError(line: line, column: field.key, value: nil, code: "invalid_encoding", message: "is not valid text in the file's encoding"))
                continue
            }
            let given = cell.flatMap { $0 }
            do {
                if let stored = try field.normalized(given) { custom[field.key] = stored }
            } catch {
                if (given ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    errors.append(ImportError(line: line, column: field.key, value: nil, code: "missing_field", message: "is required"))
                } else {
                    errors.append(Self.error(error, line: line, column: field.key, value: given))
                }
            }
        }

        guard errors.isEmpty, let type, let username, let fullName, let address else { return checked(nil) }
        var sealed: Data?
        if let password {
            do { sealed = try seal(password) } catch {
                errors.append(ImportError(line: line, column: "password", value: nil, code: "internal_error", message: "could not be sealed"))
                return checked(nil)
            }
        }
        // Prepaid without a validity, or with one already past: imported expired (a recharge activates it).
        let status: CustomerStatus = type.isPrepaid && (expiresAt.map { $0 <= now } ?? true) ? .expired : .active
        return checked(ImportRow(line: line, customer: CustomerDraft(
            code: nil, type: type, operatorID: operatorID, username: username, password: sealed, fullName: fullName, phone: phone, email: email,
            address: address, zoneID: zoneID, packageID: packageID, billingProfileID: profileID, nasID: nil, staticIP: staticIP,
            clientType: clientType ?? "home", connectionType: connectionType ?? "wired", connectivity: connectivity ?? "shared", gender: gender,
            nid: nid, connectionDate: connectionDate, expiresAt: expiresAt, status: status, custom: custom, notes: notes
        ), mac: mac))
    }

    /// `YYYY-MM-DD` (the end of that day in the tenant's time zone), `YYYY-MM-DD HH:MM[:SS]` (tenant time), or
    /// ISO 8601 with a zone.
    func expiry(_ text: String) throws -> Date {
        let reason = "must be a date YYYY-MM-DD, a local time YYYY-MM-DD HH:MM, or ISO 8601 with a zone"
        if text.count == 10 {
            _ = try Validate.date(text, field: "expires_at")
            let parts = text.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
                  let end = calendar.date(byAdding: .day, value: 1, to: start)
            else { throw PlatformError.invalidInput(field: "expires_at", reason: reason) }
            return end
        }
        if let date = localSeconds.date(from: text) ?? localMinutes.date(from: text) { return date }
        do { return try Validate.timestamp(text, field: "expires_at") } catch {
            throw PlatformError.invalidInput(field: "expires_at", reason: reason)
        }
    }

    /// A validation failure as an import error: the service error's code and reason.
    static func error(_ error: any Error, line: Int, column: String, value: String?) -> ImportError {
        switch error {
        case PlatformError.invalidInput(_, let reason): ImportError(line: line, column: column, value: value, code: "invalid_value", message: reason)
        case PlatformError.unprocessable(_, let code, let reason): ImportError(line: line, column: column, value: value, code: code, message: reason)
        default: ImportError(line: line, column: column, value: value, code: "invalid_value", message: "\(error)")
        }
    }
}
