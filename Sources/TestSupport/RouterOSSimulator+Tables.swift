import ProvisioningService

extension RouterOSSimulator {
    /// What a menu allows and what it fills in on `add`.
    struct TableKind {
        /// Properties that together must be unique (`name`; `list` and `address`).
        var uniqueKeys: [String] = []
        var duplicateMessage = "failure: already have such name"
        var defaults: [String: String] = [:]
        /// Filled by the router itself (`/ppp/active`): the API may print and remove, not add or set.
        var isRouterOwned = false
        /// One item without an id, printed and set as a whole (`/radius/incoming`).
        var isSingleton = false
        /// Print only (`/system/resource`).
        var isReadOnly = false
    }

    struct Table {
        var kind: TableKind
        var rows: [[String: String]] = []
        var nextID = 1
    }

    /// The menus the simulator knows and the API commands on them. A value: no I/O, no locking.
    struct Tables {
        private(set) var tables: [String: Table]

        init(version: String) {
            let named = TableKind(uniqueKeys: ["name"])
            tables = [
                "/ppp/secret": Table(kind: TableKind(uniqueKeys: ["name"], defaults: ["service": "any", "profile": "default", "disabled": "false"])),
                "/ppp/profile": Table(kind: named, rows: [
                    [".id": "*0", "name": "default", "default": "true"],
                    [".id": "*FFFFFFFE", "name": "default-encryption", "default": "true"],
                ]),
                "/ppp/active": Table(kind: TableKind(isRouterOwned: true)),
                "/ip/hotspot/user": Table(kind: TableKind(uniqueKeys: ["name"], defaults: ["profile": "default", "disabled": "false"])),
                "/ip/hotspot/active": Table(kind: TableKind(isRouterOwned: true)),
                "/queue/simple": Table(kind: TableKind(uniqueKeys: ["name"], defaults: ["disabled": "false"])),
                "/ip/firewall/address-list": Table(kind: TableKind(
                    uniqueKeys: ["list", "address"], duplicateMessage: "failure: already have such entry",
                    defaults: ["disabled": "false", "dynamic": "false"]
                )),
                "/ip/pool": Table(kind: named),
                "/radius": Table(kind: TableKind(defaults: ["disabled": "false", "timeout": "300ms"])),
                "/radius/incoming": Table(kind: TableKind(isSingleton: true), rows: [["accept": "false", "port": "3799"]]),
                "/ppp/aaa": Table(kind: TableKind(isSingleton: true), rows: [[
                    "use-radius": "false", "accounting": "true", "interim-update": "0s", "use-circuit-id-in-nas-port-id": "false",
                ]]),
                "/system/resource": Table(kind: TableKind(isSingleton: true, isReadOnly: true), rows: [[
                    "uptime": "0s", "version": version, "build-time": "2024-10-10 12:00:00", "factory-software": "7.1",
                    "free-memory": "912261120", "total-memory": "1073741824", "cpu": "QEMU", "cpu-count": "1",
                    "cpu-frequency": "2400", "cpu-load": "3", "free-hdd-space": "83886080", "total-hdd-space": "134217728",
                    "architecture-name": "x86_64", "board-name": "CHR", "platform": "MikroTik",
                ]]),
            ]
        }

        func rows(_ path: String) -> [[String: String]] { tables[path]?.rows ?? [] }

        /// Adds a row as the router itself would: no uniqueness check, defaults not applied.
        mutating func insert(_ path: String, _ attributes: [String: String]) -> String {
            var table = tables[path] ?? Table(kind: TableKind())
            let id = table.takeID()
            table.rows.append(attributes.merging([".id": id]) { $1 })
            tables[path] = table
            return id
        }

        /// Merges `attributes` into the row with `id` (or the singleton's only row); false if there is none.
        mutating func update(_ path: String, id: String?, _ attributes: [String: String]) -> Bool {
            guard let table = tables[path],
                  let index = table.kind.isSingleton ? table.rows.indices.first : table.rows.firstIndex(where: { $0[".id"] == id })
            else { return false }
            tables[path]?.rows[index].merge(attributes) { $1 }
            return true
        }

        mutating func removeAll(_ path: String) {
            tables[path]?.rows.removeAll()
        }

        /// Runs one menu command (`/queue/simple/add`); replies come without tags.
        mutating func execute(_ sentence: RouterOSSentence, saysEmpty: Bool) -> [RouterOSSentence] {
            guard let command = sentence.head, let slash = command.lastIndex(of: "/"), slash != command.startIndex,
                  case let path = String(command[..<slash]), var table = tables[path]
            else { return Replies.trap("no such command") }
            let attributes = Self.normalized(sentence.attributes)
            let kind = table.kind
            let replies: [RouterOSSentence]
            switch command[command.index(after: slash)...] {
            case "print":
                return Self.print(table, attributes: attributes, queries: sentence.queries, saysEmpty: saysEmpty)
            case "add" where !kind.isRouterOwned && !kind.isSingleton && !kind.isReadOnly:
                replies = Self.add(attributes, to: &table)
            case "set" where !kind.isRouterOwned && !kind.isReadOnly:
                replies = Self.set(attributes, in: &table)
            case "remove" where !kind.isSingleton && !kind.isReadOnly:
                replies = Self.remove(attributes, from: &table)
            default:
                return Replies.trap("no such command")
            }
            tables[path] = table
            return replies
        }

        private static func print(_ table: Table, attributes: [String: String], queries: [String], saysEmpty: Bool) -> [RouterOSSentence] {
            let matching = table.rows.filter { RouterOSSimulator.matches($0, queries: queries) }
            if attributes["count-only"] != nil { return [Replies.done(["ret": String(matching.count)])] }
            let properties = attributes[".proplist"].map { Set($0.split(separator: ",").map(String.init)) }
            var replies = matching.map { row in
                Replies.row(properties.map { wanted in row.filter { wanted.contains($0.key) } } ?? row)
            }
            if replies.isEmpty && saysEmpty { replies.append(RouterOSSentence(["!empty"])) }
            return replies + [Replies.done()]
        }

        private static func add(_ attributes: [String: String], to table: inout Table) -> [RouterOSSentence] {
            var row = table.kind.defaults.merging(attributes) { $1 }
            row[".id"] = nil
            if table.hasDuplicate(of: row, besides: nil) { return Replies.trap(table.kind.duplicateMessage) }
            let id = table.takeID()
            row[".id"] = id
            table.rows.append(row)
            return [Replies.done(["ret": id])]
        }

        private static func set(_ attributes: [String: String], in table: inout Table) -> [RouterOSSentence] {
            var changes = attributes
            changes[".id"] = nil
            changes["numbers"] = nil
            if table.kind.isSingleton {
                if table.rows.isEmpty { table.rows.append([:]) }
                table.rows[0].merge(changes) { $1 }
                return [Replies.done()]
            }
            guard let indices = table.indices(of: attributes) else { return Replies.trap("no such item") }
            var updated = table
            for index in indices {
                updated.rows[index].merge(changes) { $1 }
                if updated.hasDuplicate(of: updated.rows[index], besides: index) { return Replies.trap(table.kind.duplicateMessage) }
            }
            table = updated
            return [Replies.done()]
        }

        private static func remove(_ attributes: [String: String], from table: inout Table) -> [RouterOSSentence] {
            guard let indices = table.indices(of: attributes) else { return Replies.trap("no such item") }
            for index in indices.sorted(by: >) { table.rows.remove(at: index) }
            return [Replies.done()]
        }

        /// The API says `yes`/`no` or `true`/`false`; RouterOS prints `true`/`false`.
        private static func normalized(_ attributes: [String: String]) -> [String: String] {
            attributes.mapValues { value in
                switch value {
                case "yes": "true"
                case "no": "false"
                default: value
                }
            }
        }
    }
}

extension RouterOSSimulator.Table {
    /// RouterOS ids are `*` and a hexadecimal number: `*1`, … `*A`.
    mutating func takeID() -> String {
        defer { nextID += 1 }
        return "*" + String(nextID, radix: 16, uppercase: true)
    }

    /// Rows named by `=.id=` (ids) or `=numbers=` (ids or names), comma-separated; nil if any is missing.
    func indices(of attributes: [String: String]) -> [Int]? {
        guard let list = attributes[".id"] ?? attributes["numbers"] else { return nil }
        let byName = attributes[".id"] == nil
        var found: [Int] = []
        for item in list.split(separator: ",").map(String.init) {
            guard let index = rows.firstIndex(where: { $0[".id"] == item || (byName && $0["name"] == item) }) else { return nil }
            if !found.contains(index) { found.append(index) }
        }
        return found.isEmpty ? nil : found
    }

    func hasDuplicate(of row: [String: String], besides index: Int?) -> Bool {
        let keys = kind.uniqueKeys
        guard !keys.isEmpty, keys.allSatisfy({ row[$0] != nil }) else { return false }
        return rows.indices.contains { other in
            other != index && keys.allSatisfy { rows[other][$0] == row[$0] }
        }
    }
}

extension RouterOSSimulator {
    /// Reply sentences, untagged.
    enum Replies {
        static func done(_ attributes: [String: String] = [:]) -> RouterOSSentence {
            RouterOSSentence(["!done"] + words(attributes))
        }

        static func row(_ row: [String: String]) -> RouterOSSentence {
            RouterOSSentence(["!re"] + words(row))
        }

        /// `!trap` and the `!done` that follows it.
        static func trap(_ message: String, category: Int? = nil) -> [RouterOSSentence] {
            var words = ["!trap"]
            if let category { words.append("=category=\(category)") }
            words.append("=message=\(message)")
            return [RouterOSSentence(words), done()]
        }

        /// `.id` first, as RouterOS prints it, then the rest by name.
        private static func words(_ attributes: [String: String]) -> [String] {
            attributes.sorted { ($0.key == ".id" ? "" : $0.key) < ($1.key == ".id" ? "" : $1.key) }.map { "=\($0.key)=\($0.value)" }
        }
    }

    /// Query words as RouterOS evaluates them: each pushes a truth value on a stack (`?name`, `?-name`,
    /// `?name=x`, `?=name=x`, `?<name=x`, `?>name=x`), `?#` operators combine them (`!`, `&`, `|`, `.`),
    /// and a row matches when every value left on the stack is true.
    static func matches(_ row: [String: String], queries: [String]) -> Bool {
        var stack: [Bool] = []
        func pop() -> Bool { stack.popLast() ?? true }
        for query in queries {
            var body = Substring(query.dropFirst())
            if body.hasPrefix("#") {
                for operation in body.dropFirst() {
                    switch operation {
                    case "!": stack.append(!pop())
                    case "&": let (b, a) = (pop(), pop()); stack.append(a && b)
                    case "|": let (b, a) = (pop(), pop()); stack.append(a || b)
                    case ".": stack.append(stack.last ?? true)
                    default: break
                    }
                }
                continue
            }
            let comparison = body.first.flatMap { "<>-=".contains($0) ? $0 : nil }
            if comparison != nil { body = body.dropFirst() }
            guard let separator = body.firstIndex(of: "=") else {
                stack.append(comparison == "-" ? row[String(body)] == nil : row[String(body)] != nil)
                continue
            }
            let name = String(body[..<separator])
            let value = String(body[body.index(after: separator)...])
            let actual = row[name]
            switch comparison {
            case "<": stack.append(actual.map { compare($0, value) < 0 } ?? false)
            case ">": stack.append(actual.map { compare($0, value) > 0 } ?? false)
            default: stack.append(actual == value)
            }
        }
        return stack.allSatisfy { $0 }
    }

    /// Numbers compare as numbers, everything else as text.
    private static func compare(_ left: String, _ right: String) -> Int {
        if let a = Int(left), let b = Int(right) { return a < b ? -1 : (a > b ? 1 : 0) }
        return left < right ? -1 : (left > right ? 1 : 0)
    }
}
