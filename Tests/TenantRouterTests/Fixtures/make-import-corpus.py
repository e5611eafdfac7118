#!/usr/bin/env python3
"""Writes import-messy.csv, the customer-import test corpus: a UTF-8 byte-order mark, CRLF line ends,
headers in another order and case with spaces and an unknown column, a quoted comma and a quoted line
break, and one row for each kind of error the import reports (the expected errors are in
ImportTests.swift, by line). Run it again after changing the rows; the file is committed."""

rows = [
    # line 1: the header
    " Username ,Full_Name,PHONE,password,email,package,billing_profile,zone,mac,legacy_id,address",
    # 2: valid, a quoted comma in the address
    'imp-good1,Rahim Uddin,01712345678,pass-good1,rahim@example.com,P pppoe_monthly,Cycle 5,Mirpur,AA-BB-CC-00-00-01,L1,"House 12, Road 7"',
    # 3-4: valid, a quoted line break in the unknown column (the record spans two lines)
    'imp-good2,Karim Ahmed,+8801812345678,pass-good2,,P pppoe_monthly,cycle 5,MIRPUR,,"first\r\nsecond",Mirpur-10',
    # 5: the username of line 2 again
    "imp-good1,Someone Else,01712345679,pass-dup,,P pppoe_monthly,Cycle 5,,,,",
    # 6: a username another tenant has
    "taken-b1,Taken Elsewhere,01712345670,pass-taken,,P pppoe_monthly,Cycle 5,,,,",
    # 7: a package that does not exist
    "imp-nopkg,No Package,01712345671,pass-nopkg,,Gold 100M,Cycle 5,,,,",
    # 8: a phone number that is not one
    "imp-badphone,Bad Phone,12345,pass-badphone,,P pppoe_monthly,Cycle 5,,,,",
    # 9: a MAC that is not one
    "imp-badmac,Bad Mac,01712345672,pass-badmac,,P pppoe_monthly,Cycle 5,,ZZ:11,,",
    # 10: an e-mail address that is not one
    "imp-bademail,Bad Email,01712345673,pass-bademail,not-an-email,P pppoe_monthly,Cycle 5,,,,",
    # 11: a 10,000-character name
    "imp-longname," + "N" * 10000 + ",01712345674,pass-longname,,P pppoe_monthly,Cycle 5,,,,",
    # 12: valid, a name a spreadsheet would run as a formula (stored as given, neutralised on export)
    'imp-formula,"=HYPERLINK(""http://example.invalid"",""x"")",01712345675,pass-formula,,P pppoe_monthly,Cycle 5,,,,',
    # 13: a name that is not UTF-8 (Latin-1 e-acute)
    None,
    # 14: no name
    "imp-noname,,01712345676,pass-noname,,P pppoe_monthly,Cycle 5,,,,",
    # 15: an empty line (skipped)
    "",
    # 16: valid, a lower-case MAC with colons
    "imp-good3,Fatema Begum,01912345678,pass-good3,,P pppoe_monthly,Cycle 5,,aa:bb:cc:00:00:03,,",
    # 17: a customer the tenant already has (skipped)
    "imp-existing,Already Here,01712345677,pass-existing,,P pppoe_monthly,Cycle 5,,,,",
]

out = bytearray(b"\xef\xbb\xbf")
for row in rows:
    if row is None:
        out += b"imp-latin1,Ren\xe9 Das,01712345680,pass-latin1,,P pppoe_monthly,Cycle 5,,,,"
    else:
        out += row.encode("utf-8")
    out += b"\r\n"
with open("import-messy.csv", "wb") as f:
    f.write(bytes(out))
