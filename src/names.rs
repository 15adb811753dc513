//! Kubernetes and DNS names, checked one way everywhere: namespaces, the
//! pull secrets' names, registry hosts.

/// Lowercase letters and digits, with `-` inside.
fn label(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    b.first().is_some_and(alnum) && b.last().is_some_and(alnum) && b.iter().all(|c| alnum(c) || *c == b'-')
}

/// An RFC 1123 DNS label, what Kubernetes names a namespace: at most 63.
pub fn is_dns_label(s: &str) -> bool {
    s.len() <= 63 && label(s)
}

/// A DNS-1123 subdomain, the grammar of most Kubernetes object names
/// (Kubernetes limits only the whole to 253, not each label).
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(label)
}

/// A host name as DNS and registries read it: labels of at most 63 in any case.
pub fn is_host_name(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|l| is_dns_label(&l.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_subdomains_and_hosts() {
        for ok in ["deis", "a-b", "0abc", &"a".repeat(63)] {
            assert!(is_dns_label(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "A", "a.b", "a_b", &"a".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad}");
        }
        for ok in ["a-b", "a.b", "private-registry-ecr", "0abc.d", &"a".repeat(100)] {
            assert!(is_dns_subdomain(ok), "{ok}");
        }
        for bad in [
            "a.-ecr",
            "A-ecr",
            "-a",
            "a..b",
            "a_b",
            "",
            &format!("{}a", "a.".repeat(127)),
        ] {
            assert!(!is_dns_subdomain(bad), "{bad}");
        }
        assert!(is_host_name("Quay.IO") && is_host_name("localhost") && !is_host_name(&"a".repeat(64)));
    }
}
