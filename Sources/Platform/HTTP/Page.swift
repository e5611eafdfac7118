import Hummingbird

/// A page of a list: `{"items": [...], "page", "per_page", "total"}`.
package struct Page<Item: Codable & Sendable>: Codable, Sendable, ResponseEncodable {
    package var items: [Item]
    package var page: Int
    package var perPage: Int
    package var total: Int

    package init(items: [Item], page: Int, perPage: Int, total: Int) {
        self.items = items
        self.page = page
        self.perPage = perPage
        self.total = total
    }

    enum CodingKeys: String, CodingKey {
        case items, page, total
        case perPage = "per_page"
    }
}

/// `page` (from 1) and `per_page` (1...200) from the query string, validated.
package struct PageRequest: Sendable {
    package var page: Int
    package var perPage: Int
    package var offset: Int { (page - 1) * perPage }

    package init(page: Int = 1, perPage: Int = 50) {
        self.page = page
        self.perPage = perPage
    }

    package init(page: String?, perPage: String?) throws {
        var request = PageRequest()
        if let page {
            guard let value = Int(page), (1...1_000_000).contains(value) else {
                throw PlatformError.invalidInput(field: "page", reason: "must be a positive integer")
            }
            request.page = value
        }
        if let perPage {
            guard let value = Int(perPage), (1...200).contains(value) else {
                throw PlatformError.invalidInput(field: "per_page", reason: "must be 1-200")
            }
            request.perPage = value
        }
        self = request
    }
}
