//! Near-miss suggestions for names an operator typed.

/// The candidate closest to `input` (ignoring case, `-`, `_` and spaces), if close enough.
pub fn closest<'c>(input: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '_', ' '], "");
    let wanted = norm(input);
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&wanted, &norm(c)), *c))
        .filter(|(d, _)| *d <= 2.max(wanted.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let names = ["on-cluster", "off-cluster", "ecr", "gcr"];
        assert_eq!(closest("gcs", &names), Some("gcr"));
        assert_eq!(closest("GCR", &names), Some("gcr"));
        assert_eq!(closest("offcluster", &names), Some("off-cluster"));
        assert_eq!(closest("off_cluster", &names), Some("off-cluster"));
        assert_eq!(closest("dockerhub", &names), None);
    }
}
