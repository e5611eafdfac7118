/// The attributes that pick out one session on a NAS (RFC 5176): which NAS, then which session.
///
/// A NAS acts on a request only when the session identification attributes in it match a session; it
/// answers NAK 503 (Session Context Not Found) otherwise. `Acct-Session-Id`, from accounting, is the most
/// precise; `User-Name` or `Framed-IP-Address` pick out a session when it is not known.
package struct SessionIdentity: Sendable, Hashable {
    package var userName: String?
    package var acctSessionID: String?
    /// Dotted-quad IPv4 address.
    package var framedIP: String?
    package var callingStationID: String?
    /// The NAS's own address (NAS-IP-Address), dotted quad; a NAS compares it with its own and answers
    /// NAK 403 on a mismatch.
    package var nasIP: String?
    package var nasIdentifier: String?

    package init(
        userName: String? = nil, acctSessionID: String? = nil, framedIP: String? = nil, callingStationID: String? = nil,
        nasIP: String? = nil, nasIdentifier: String? = nil
    ) {
        self.userName = userName
        self.acctSessionID = acctSessionID
        self.framedIP = framedIP
        self.callingStationID = callingStationID
        self.nasIP = nasIP
        self.nasIdentifier = nasIdentifier
    }

    /// The attributes, NAS identification first, then session identification, as RFC 5176 groups them.
    package func attributes() throws(RadiusError) -> [RadiusPacket.Attribute] {
        var attributes: [RadiusPacket.Attribute] = []
        if let nasIP { attributes.append(try .nasIPAddress(nasIP)) }
        if let nasIdentifier { attributes.append(.nasIdentifier(nasIdentifier)) }
        let nasCount = attributes.count
        if let userName { attributes.append(.userName(userName)) }
        if let acctSessionID { attributes.append(.acctSessionID(acctSessionID)) }
        if let framedIP { attributes.append(try .framedIPAddress(framedIP)) }
        if let callingStationID { attributes.append(.callingStationID(callingStationID)) }
        guard attributes.count > nasCount else {
            throw RadiusError.invalidRequest("no attribute identifies the session")
        }
        return attributes
    }
}
