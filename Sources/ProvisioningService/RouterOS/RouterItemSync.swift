/// Makes items on one router what they should be, over its API: reads what is there, then adds what is
/// missing, sets what differs and removes what should not be there. Reads first, so a run over items that
/// are already right writes nothing; every step is safe to repeat after a failure half-way.
struct RouterItemSync: Sendable {
    let client: RouterOSClient
    /// Find the differences, change nothing.
    var dryRun = false

    /// What happened to one item.
    enum Action: String, Sendable {
        case created, updated, unchanged, removed
    }

    /// One item's outcome.
    struct Change: Sendable {
        var label: String
        /// The comment the item carries, for items found by comment.
        var comment: String? = nil
        var action: Action
        /// The properties set (or that would be), for reports.
        var properties: [String]
    }

    /// Makes `item` (found by its key) exist as wanted; extra items with the same key are removed.
    func ensure(_ item: RouterItem) async throws -> Change {
        if item.key.isEmpty {
            // A menu that is one item: only `set`.
            let rows = try await client.run(item.menu + "/print")
            let differences = item.differences(from: rows.first ?? [:])
            guard !differences.isEmpty else { return Change(label: item.label, action: .unchanged, properties: []) }
            if !dryRun { try await client.run(item.menu + "/set", attributes: differences) }
            return Change(label: item.label, action: .updated, properties: differences.keys.sorted())
        }
        let rows = try await client.run(
            item.menu + "/print",
            attributes: [".proplist": Self.proplist(item.properties.keys)],
            queries: item.key.sorted { $0.key < $1.key }.map { "?\($0.key)=\($0.value)" }
        )
        return try await converge(item, rows: rows).first ?? Change(label: item.label, action: .unchanged, properties: [])
    }

    /// Makes the items of `menu` whose `comment` is one of `keys` exactly `wanted` (each found by its
    /// comment): one read for all of them, then one write per difference. Returns what changed.
    func converge(menu: String, keys: Set<String>, wanted: [RouterItem]) async throws -> [Change] {
        guard !keys.isEmpty else { return [] }
        let sortedKeys = keys.sorted()
        // `?comment=a ?comment=b ?#| ?comment=c ?#|`: any of them.
        var queries: [String] = []
        for (index, key) in sortedKeys.enumerated() {
            queries.append("?comment=\(key)")
            if index > 0 { queries.append("?#|") }
        }
        let properties = Set(wanted.flatMap(\.properties.keys)).union(["comment"])
        let rows = try await client.run(menu + "/print", attributes: [".proplist": Self.proplist(properties)], queries: queries)
        return try await converge(menu: menu, rows: rows.filter { $0["comment"].map(keys.contains) == true }, wanted: wanted)
    }

    /// Makes the rows of `menu` that the platform owns (already read, `rows`) exactly `wanted`, matching
    /// them by comment: rows no wanted item claims are removed.
    func converge(menu: String, rows: [[String: String]], wanted: [RouterItem]) async throws -> [Change] {
        var byComment: [String: [[String: String]]] = [:]
        for row in rows { byComment[row["comment"] ?? "", default: []].append(row) }
        var changes: [Change] = []
        for item in wanted {
            let comment = item.key["comment"] ?? ""
            changes += try await converge(item, rows: byComment.removeValue(forKey: comment) ?? [])
        }
        for (comment, leftovers) in byComment.sorted(by: { $0.key < $1.key }) {
            let ids = leftovers.compactMap { $0[".id"] }
            guard !ids.isEmpty else { continue }
            if !dryRun { try await client.run(menu + "/remove", attributes: [".id": ids.joined(separator: ",")]) }
            changes.append(Change(label: "\(menu) \(comment)", comment: comment, action: .removed, properties: []))
        }
        return changes
    }

    /// `item` given the rows that carry its key: the first is set where it differs, the others removed;
    /// none is added.
    private func converge(_ item: RouterItem, rows: [[String: String]]) async throws -> [Change] {
        let comment = item.key["comment"]
        guard let first = rows.first, let id = first[".id"] else {
            if !dryRun { try await client.add(item.menu, item.properties) }
            return [Change(label: item.label, comment: comment, action: .created, properties: item.properties.keys.sorted())]
        }
        var changes: [Change] = []
        let extra = rows.dropFirst().compactMap { $0[".id"] }
        if !extra.isEmpty {
            if !dryRun { try await client.run(item.menu + "/remove", attributes: [".id": extra.joined(separator: ",")]) }
            changes.append(Change(label: item.label, comment: comment, action: .removed, properties: []))
        }
        let differences = item.differences(from: first)
        if differences.isEmpty {
            changes.insert(Change(label: item.label, comment: comment, action: .unchanged, properties: []), at: 0)
        } else {
            if !dryRun { try await client.run(item.menu + "/set", attributes: differences.merging([".id": id]) { $1 }) }
            changes.insert(Change(label: item.label, comment: comment, action: .updated, properties: differences.keys.sorted()), at: 0)
        }
        return changes
    }

    private static func proplist(_ properties: some Sequence<String>) -> String {
        ([".id"] + Set(properties).subtracting([".id"]).sorted()).joined(separator: ",")
    }
}
