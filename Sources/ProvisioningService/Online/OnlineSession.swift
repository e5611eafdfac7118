import Foundation
import Hummingbird
import Platform

/// One open session as the online view keeps it (in Redis, per tenant): who, where, since when, how much.
struct OnlineSession: Codable, Sendable, Hashable {
    /// `radius.radacct.radacctid`.
    var id: Int64
    var customerID: Int64
    var operatorID: Int64
    var zoneID: Int64?
    var packageID: Int64?
    var name: String
    var username: String
    var ip: String?
    var mac: String?
    var nasIP: String
    /// The router's name, when the NAS is one of the platform's routers.
    var nas: String?
    var sessionID: String
    /// Unix seconds.
    var start: Int64
    var update: Int64
    /// Octets from the subscriber (`Acct-Input-Octets` with gigawords) and to it.
    var upload: Int64
    var download: Int64

    // Short keys: one of these per open session sits in Redis.
    enum CodingKeys: String, CodingKey {
        case id, name, ip, mac, nas
        case customerID = "c", operatorID = "o", zoneID = "z", packageID = "p", username = "u", nasIP = "n", sessionID = "s"
        case start = "t0", update = "t1", upload = "up", download = "dn"
    }
}

/// One row of `GET /api/v1/online-customers`.
package struct OnlineCustomer: Codable, Sendable, Hashable {
    package var customerID: Int64
    package var name: String
    package var username: String
    package var operatorID: Int64
    package var zoneID: Int64?
    package var packageID: Int64?
    package var ip: String?
    package var mac: String?
    package var nasIP: String
    package var nas: String?
    package var acctSessionID: String
    package var startedAt: Date
    package var uptimeSeconds: Int64
    package var uploadBytes: Int64
    package var downloadBytes: Int64
    package var lastUpdate: Date

    enum CodingKeys: String, CodingKey {
        case name, username, ip, mac, nas
        case customerID = "customer_id", operatorID = "operator_id", zoneID = "zone_id", packageID = "package_id", nasIP = "nas_ip"
        case acctSessionID = "acct_session_id", startedAt = "started_at", uptimeSeconds = "uptime_seconds"
        case uploadBytes = "upload_bytes", downloadBytes = "download_bytes", lastUpdate = "last_update"
    }

    init(_ session: OnlineSession, now: Int64) {
        customerID = session.customerID
        name = session.name
        username = session.username
        operatorID = session.operatorID
        zoneID = session.zoneID
        packageID = session.packageID
        ip = session.ip
        mac = session.mac
        nasIP = session.nasIP
        nas = session.nas
        acctSessionID = session.sessionID
        startedAt = Date(timeIntervalSince1970: Double(session.start))
        uptimeSeconds = max(0, now - session.start)
        uploadBytes = session.upload
        downloadBytes = session.download
        lastUpdate = Date(timeIntervalSince1970: Double(session.update))
    }
}

/// What `GET /api/v1/online-customers` answers: one page, counts over everything the caller may see, and
/// how fresh the view is.
package struct OnlineList: Codable, Sendable, JSONWritable {
    package struct NASCount: Codable, Sendable, Hashable {
        package var nasIP: String
        package var nas: String?
        package var count: Int

        enum CodingKeys: String, CodingKey {
            case nas, count
            case nasIP = "nas_ip"
        }
    }

    package struct Counts: Codable, Sendable {
        /// Online customers' sessions the caller may see (before the request's filters).
        package var total: Int
        package var byNAS: [NASCount]

        enum CodingKeys: String, CodingKey {
            case total
            case byNAS = "by_nas"
        }
    }

    package var items: [OnlineCustomer]
    package var page: Int
    package var perPage: Int
    /// Sessions matching the filters.
    package var matching: Int
    package var counts: Counts
    /// When the poller last brought the view up to date; nil before its first tick.
    package var asOf: Date?

    enum CodingKeys: String, CodingKey {
        case items, page, counts
        case perPage = "per_page", matching = "total", asOf = "as_of"
    }

    /// The same members as the `Codable` form, written by hand: the list is the view's hot path, and
    /// `JSONEncoder` cost more than everything else a request does.
    package func writeJSON(to out: inout JSONOutput) {
        out.object { out in
            out.key("as_of"); out.date(asOf)
            out.key("counts")
            out.object { out in
                out.key("by_nas")
                out.array { out in
                    for entry in counts.byNAS {
                        out.object { out in
                            out.key("count"); out.int(entry.count)
                            out.key("nas"); out.string(entry.nas)
                            out.key("nas_ip"); out.string(entry.nasIP)
                        }
                    }
                }
                out.key("total"); out.int(counts.total)
            }
            out.key("items")
            out.array { out in
                for item in items {
                    out.object { out in
                        out.key("acct_session_id"); out.string(item.acctSessionID)
                        out.key("customer_id"); out.int(item.customerID)
                        out.key("download_bytes"); out.int(item.downloadBytes)
                        out.key("ip"); out.string(item.ip)
                        out.key("last_update"); out.date(item.lastUpdate)
                        out.key("mac"); out.string(item.mac)
                        out.key("name"); out.string(item.name)
                        out.key("nas"); out.string(item.nas)
                        out.key("nas_ip"); out.string(item.nasIP)
                        out.key("operator_id"); out.int(item.operatorID)
                        out.key("package_id"); out.int(item.packageID)
                        out.key("started_at"); out.date(item.startedAt)
                        out.key("upload_bytes"); out.int(item.uploadBytes)
                        out.key("uptime_seconds"); out.int(item.uptimeSeconds)
                        out.key("username"); out.string(item.username)
                        out.key("zone_id"); out.int(item.zoneID)
                    }
                }
            }
            out.key("page"); out.int(page)
            out.key("per_page"); out.int(perPage)
            out.key("total"); out.int(matching)
        }
    }
}

/// The filters and order of `GET /api/v1/online-customers`.
package struct OnlineQuery: Sendable {
    package enum Sort: String, Sendable, CaseIterable {
        case uptime, minusUptime = "-uptime", download, minusDownload = "-download", upload, minusUpload = "-upload"
    }

    package var text: String?
    package var operatorID: Int64?
    package var zoneID: Int64?
    package var packageID: Int64?
    /// A NAS address or router name.
    package var nas: String?
    package var sort: Sort = .uptime
    package var page = PageRequest()

    package init() {}
}
