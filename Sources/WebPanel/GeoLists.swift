import CustomerService

/// The divisions, districts and upazilas the address fields suggest (BTRC's names, with the Bangla name as
/// the label): reference data, read once per process on first use.
actor GeoLists {
    struct Lists: Sendable {
        var divisions: [(name: String, bangla: String?)] = []
        var districts: [(name: String, bangla: String?)] = []
        var upazilas: [(name: String, bangla: String?)] = []
    }

    private var loaded: Lists?

    func lists(from customers: CustomerService) async throws -> Lists {
        if let loaded { return loaded }
        async let divisions = customers.places(.division)
        async let districts = customers.places(.district)
        async let upazilas = customers.places(.upazila)
        func names(_ places: [CustomerService.Place]) -> [(name: String, bangla: String?)] {
            // Upazilas of different districts may share a name: one suggestion each.
            var seen = Set<String>()
            return places.compactMap { seen.insert($0.name).inserted ? ($0.name, $0.nameBN) : nil }
        }
        let lists = Lists(divisions: names(try await divisions), districts: names(try await districts), upazilas: names(try await upazilas))
        loaded = lists
        return lists
    }

    /// `[{value, label}]` for a `<datalist>`.
    static func options(_ names: [(name: String, bangla: String?)]) -> [[String: Any]] {
        names.map { ["value": $0.name, "label": $0.bangla ?? $0.name] }
    }
}
