//! Names users type for ports and IP protocols. The table is the
//! normative list in docs/language.md ("Port names").

/// Well-known service names and their TCP/UDP port.
pub const PORT_NAMES: &[(&str, u16)] = &[
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("dns", 53),
    ("dhcp", 67),
    ("http", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("ntp", 123),
    ("netbios", 139),
    ("imap", 143),
    ("snmp", 161),
    ("bgp", 179),
    ("ldap", 389),
    ("https", 443),
    ("smb", 445),
    ("smtps", 465),
    ("syslog", 514),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pop3s", 995),
    ("mssql", 1433),
    ("oracle", 1521),
    ("nfs", 2049),
    ("etcd", 2379),
    ("mysql", 3306),
    ("rdp", 3389),
    ("postgres", 5432),
    ("postgresql", 5432),
    ("vnc", 5900),
    ("winrm", 5985),
    ("winrm-https", 5986),
    ("redis", 6379),
    ("kubernetes", 6443),
    ("http-alt", 8080),
    ("https-alt", 8443),
    ("kafka", 9092),
    ("elasticsearch", 9200),
    ("memcached", 11211),
    ("mongodb", 27017),
];

/// IP protocol names and their IANA numbers.
pub const PROTOCOL_NAMES: &[(&str, u8)] = &[
    ("icmp", 1),
    ("igmp", 2),
    ("tcp", 6),
    ("udp", 17),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("icmpv6", 58),
    ("ipv6-icmp", 58),
    ("sctp", 132),
];

pub fn port_named(name: &str) -> Option<u16> {
    lookup(PORT_NAMES, name)
}

pub fn protocol_named(name: &str) -> Option<u8> {
    lookup(PROTOCOL_NAMES, name)
}

fn lookup<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    let name = name.to_ascii_lowercase();
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_unique() {
        assert_eq!(port_named("SSH"), Some(22));
        assert_eq!(protocol_named("Tcp"), Some(6));
        assert_eq!(port_named("gopher"), None);
        for (i, (name, _)) in PORT_NAMES.iter().enumerate() {
            assert!(
                !PORT_NAMES[i + 1..].iter().any(|(n, _)| n == name),
                "{name} twice"
            );
        }
    }
}
