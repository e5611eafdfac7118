import Foundation
import Platform
import Testing

@Suite struct JSONOutputTests {
    /// Dates read back with the API's decoder are the same instants (to the second), for many instants
    /// including leap days, year ends and times before 1970.
    @Test func datesMatchTheEncoder() throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var samples: [Date] = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: 951_782_400),
                               Date(timeIntervalSince1970: 1_709_164_800), Date(timeIntervalSince1970: 4_102_444_799)]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { samples.append(Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000...5_000_000_000, using: &generator)))) }
        for date in samples {
            var output = JSONOutput()
            output.date(date)
            let ours = String(decoding: output.bytes, as: UTF8.self)
            let theirs = String(decoding: try encoder.encode(date), as: UTF8.self)
            #expect(ours == theirs, "\(date.timeIntervalSince1970)")
        }
    }

    @Test func stringsAndNestingAreValidJSON() throws {
        var output = JSONOutput()
        let tricky = "a\"b\\c\nd\u{1}é ঢাকা\t\r/"
        output.object { out in
            out.key("text"); out.string(tricky)
            out.key("none"); out.string(nil)
            out.key("list")
            out.array { out in
                out.int(1); out.int(nil); out.bool(true)
                out.object { out in out.key("raw"); out.raw(#"{"k":"v"}"#) }
            }
            out.key(String("dynamic key \"q\""))
            out.int(-42)
        }
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(output.bytes)) as? [String: Any])
        #expect(decoded["text"] as? String == tricky)
        #expect(decoded["none"] is NSNull)
        let list = try #require(decoded["list"] as? [Any])
        #expect(list.count == 4 && list[0] as? Int == 1 && list[1] is NSNull && list[2] as? Bool == true)
        #expect(((list[3] as? [String: Any])?["raw"] as? [String: Any])?["k"] as? String == "v")
        #expect(decoded["dynamic key \"q\""] as? Int == -42)
    }
}
