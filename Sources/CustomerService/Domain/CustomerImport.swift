import Foundation
import Platform

/// How an upload is imported.
package struct ImportOptions: Sendable {
    package enum Mode: String, Sendable {
        /// Rows whose username the tenant already has are skipped.
        case insert
        /// Such rows update the existing customer's profile fields instead.
        case upsert
    }

    /// Check everything, write no customer.
    package var dryRun = false
    /// Write nothing when any row fails.
    package var strict = false
    package var mode = Mode.insert
    package var encoding = CSV.Encoding.utf8
    package var fileName: String?

    package init() {}
}

/// An import as `POST /api/v1/customers/import` and `GET /api/v1/imports/{id}` answer it. `errors` holds
/// the first errors (`error_count` counts the failed lines); the whole list is the import's error CSV.
package struct ImportReport: Sendable, JSONWritable {
    package var id: Int64
    /// `importing` (rows are being written), `done`, or `failed`.
    package var state: String
    package var dryRun: Bool
    package var strict: Bool
    package var mode: String
    /// Data rows in the file.
    package var total: Int
    /// Rows without any error (including those skipped as existing).
    package var valid: Int
    package var imported: Int
    package var updated: Int
    package var skippedExisting: Int
    /// Lines with at least one error.
    package var errorCount: Int
    package var unknownColumns: [String]
    package var message: String?
    package var fileName: String?
    package var createdAt: Date
    package var finishedAt: Date?
    /// Rows settled so far (imported, skipped or failed): the progress of a running import.
    package var rowsDone: Int
    package var errors: [ImportError]

    package func writeJSON(to out: inout JSONOutput) {
        out.object { out in
            out.key("created_at"); out.date(createdAt)
            out.key("dry_run"); out.bool(dryRun)
            out.key("error_count"); out.int(errorCount)
            out.key("errors")
            out.array { out in
                for error in errors {
                    out.object { out in
                        out.key("code"); out.string(error.code)
                        out.key("column"); out.string(error.column)
                        out.key("line"); out.int(error.line)
                        out.key("message"); out.string(error.message)
                        out.key("value"); out.string(error.value)
                    }
                }
            }
            out.key("errors_csv"); out.string("/api/v1/imports/\(id)/errors.csv")
            out.key("file_name"); out.string(fileName)
            out.key("finished_at"); out.date(finishedAt)
            out.key("id"); out.int(id)
            out.key("imported"); out.int(imported)
            out.key("message"); out.string(message)
            out.key("mode"); out.string(mode)
            out.key("rows_done"); out.int(rowsDone)
            out.key("skipped_existing"); out.int(skippedExisting)
            out.key("state"); out.string(state)
            out.key("strict"); out.bool(strict)
            out.key("total"); out.int(total)
            out.key("unknown_columns")
            out.array { out in for column in unknownColumns { out.string(column) } }
            out.key("updated"); out.int(updated)
            out.key("valid"); out.int(valid)
        }
    }
}
