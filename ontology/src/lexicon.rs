//! Colloquial words officers use for terms of legal text, as data: a query
//! containing the key also searches for the statutory terms.

/// (colloquial word, statutory terms).
pub const COLLOQUIAL: &[(&str, &[&str])] = &[
    ("危化品", &["危险化学品"]),
    ("安全员", &["安全生产管理人员"]),
    ("老总", &["主要负责人"]),
    ("老板", &["主要负责人", "投资人"]),
    ("厂长", &["主要负责人"]),
    ("一把手", &["主要负责人"]),
    ("卫健", &["卫生健康", "卫生行政"]),
    ("工人", &["从业人员"]),
    ("员工", &["从业人员"]),
    ("职工", &["从业人员"]),
    ("工地", &["施工", "建设工程"]),
    ("罚多少", &["罚款"]),
    ("消防队", &["消防救援机构"]),
    ("有毒气体", &["中毒"]),
];

/// The statutory terms that `query` implies, not already in it.
pub fn expansions(query: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (k, terms) in COLLOQUIAL {
        if query.contains(k) {
            for t in *terms {
                if !query.contains(t) && !out.contains(t) {
                    out.push(*t);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn expands_colloquial_words() {
        assert_eq!(
            super::expansions("危化品企业的老总"),
            vec!["危险化学品", "主要负责人"]
        );
        assert!(super::expansions("危险化学品").is_empty());
    }
}
