import Foundation
import Platform
import Testing

@Suite struct CSVTests {
    static let tricky = ["plain", "", "a,b", "say \"hi\"", "two\r\nlines", "=SUM(A1)", "+1", "-5", "@cmd", "রহিম উদ্দিন", "tab\tinside"]

    @Test func theByteWriterWritesWhatTheLineWriterWrites() {
        var bytes: [UInt8] = []
        CSV.append(Self.tricky, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == CSV.line(Self.tricky))
    }

    @Test func whatIsWrittenReadsBackWithFormulasNeutralised() throws {
        let records = try CSV.read(Array((CSV.line(["h1", "h2"]) + CSV.line(["x,y", "=1+1"]) + CSV.line(["two\r\nlines", "রহিম"])).utf8))
        #expect(records.map(\.cells) == [["h1", "h2"], ["x,y", "'=1+1"], ["two\r\nlines", "রহিম"]])
        #expect(records.map(\.line) == [1, 2, 3], "a record starts on the line after the previous one ended")
    }

    @Test func readingHandlesBOMLineEndsQuotesAndBadBytes() throws {
        var file: [UInt8] = [0xEF, 0xBB, 0xBF]
        file += Array("a,b\r\n\"q,1\",\"say \"\"hi\"\"\"\n\nx,\"multi\nline\"\rlast,".utf8)
        file += [0xE9, 0x0A]
        let records = try CSV.read(file)
        #expect(records.map(\.line) == [1, 2, 4, 6], "the empty line 3 is skipped; the quoted break makes record 4 end on line 5")
        #expect(records[0].cells == ["a", "b"] && records[1].cells == ["q,1", "say \"hi\""] && records[2].cells == ["x", "multi\nline"])
        #expect(records[3].cells.count == 2 && records[3].cells[0] == "last" && records[3].cells[1] == nil, "not UTF-8: that cell alone is unreadable")
        #expect(try CSV.read([0xE9], encoding: .windows1252).first?.cells == ["é"])
        #expect(throws: CSV.ReadError.unterminatedQuote(line: 2)) { try CSV.read(Array("a\n\"open,\nstill".utf8)) }
        #expect(throws: CSV.ReadError.cellTooLong(line: 1)) { try CSV.read(Array(repeating: UInt8(ascii: "x"), count: 100), maxCellBytes: 10) }
    }
}
