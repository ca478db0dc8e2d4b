//! Routing an incident to the legal regime that applies: production-safety
//! accidents, special-equipment accidents (by the equipment the regulation's
//! own definition lists), power accidents, or an event outside the
//! production-safety scheme (natural disaster, public health, pollution,
//! a household accident with no production activity).

use super::rulebook::RuleBook;
use super::{cite, RegimeResult};
use crate::store::Catalog;
use emkg_ingest::incident::Incident;
use emkg_ontology::regimes::{self as rg, Regime};

/// The words of `list` found in `text`, leaving out mentions in a denied
/// clause (该户无任何生产经营活动: 生产 and 经营 are denied, not stated).
fn hits<'a>(text: &str, list: &[&'a str]) -> Vec<&'a str> {
    list.iter()
        .copied()
        .filter(|w| {
            text.match_indices(*w).any(|(b, _)| {
                let clause_start = text[..b]
                    .rfind(['，', '。', '；', ',', ';', '\n'])
                    .map(|p| p + text[p..].chars().next().map_or(1, char::len_utf8))
                    .unwrap_or(0);
                let lead = &text[clause_start..b];
                !["无", "没有", "未", "非", "不是", "并非"]
                    .iter()
                    .any(|n| lead.contains(n))
            })
        })
        .collect()
}

/// Members of the special-equipment definition (from the graph), with the
/// colloquial names that denote them.
pub fn equipment_terms(book: &RuleBook, catalog: &Catalog) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let Some(se) = rg::regime(rg::SPECIAL_EQUIPMENT) else {
        return out;
    };
    let docs: Vec<String> = se
        .grading
        .iter()
        .flat_map(|t| cite::docs_titled(catalog, t))
        .map(|e| e.id.clone())
        .collect();
    for d in &book.definitions {
        if docs.contains(&d.doc) && d.term.contains("特种设备") {
            for m in &d.members {
                out.push((m.clone(), m.clone()));
                // 压力容器 covers 气瓶; 场（厂）内专用机动车辆 is written with brackets.
            }
        }
    }
    if out.is_empty() {
        return out;
    }
    for (word, member) in rg::EQUIPMENT_SYNONYMS {
        if out.iter().any(|(m, _)| m == member) {
            out.push((word.to_string(), member.to_string()));
        }
    }
    out
}

/// The sentence of `text` that states the event (its first sentence with
/// the event word), or the whole text.
fn event_sentence<'a>(text: &'a str, inc: &Incident) -> &'a str {
    let Some((a, _)) = inc.event_type.as_ref().and_then(|e| e.span) else {
        return text;
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let Some(&(byte, _)) = chars.get(a) else {
        return text;
    };
    let start = text[..byte]
        .rfind(['。', '\n', '！', '？'])
        .map(|p| p + text[p..].chars().next().map(char::len_utf8).unwrap_or(1))
        .unwrap_or(0);
    let end = text[byte..]
        .find(['。', '\n', '！', '？'])
        .map(|p| byte + p)
        .unwrap_or(text.len());
    &text[start..end]
}

fn result(r: &'static Regime, reasons: Vec<String>, catalog: &Catalog) -> RegimeResult {
    let mut basis = Vec::new();
    for (title, art) in r.basis {
        if let Some(e) = cite::docs_titled(catalog, title).first() {
            let unit = format!("{}#art{art}", e.id);
            if e.articles.contains(art) {
                basis.push(cite::basis(catalog, &unit));
            }
        }
    }
    RegimeResult {
        id: r.id,
        name: r.name,
        reasons,
        basis,
    }
}

/// Decides the regime of an incident.
pub fn route(inc: &Incident, text: &str, book: &RuleBook, catalog: &Catalog) -> RegimeResult {
    let get = |id: &str| rg::regime(id).unwrap_or(&rg::REGIMES[0]);
    let concept = inc
        .event_type
        .as_ref()
        .map(|e| e.concept.as_str())
        .unwrap_or("");
    let label = inc
        .event_type
        .as_ref()
        .map(|e| e.value.as_str())
        .unwrap_or("");
    let sentence = event_sentence(text, inc);
    let production = hits(text, rg::PRODUCTION_SIGNALS);
    let residential = hits(text, rg::RESIDENTIAL_SIGNALS);
    let business = !production.is_empty() || inc.unit.is_some();

    // Public-health and environmental events: by what happened, not by a
    // word elsewhere (疫情防控期间，某化工厂发生爆炸 is an explosion).
    let health = hits(sentence, rg::PUBLIC_HEALTH_SIGNALS);
    if matches!(
        concept,
        "InfectiousDisease" | "FoodSafetyEvent" | "UnexplainedDisease"
    ) || (concept.is_empty() && !health.is_empty())
    {
        return result(
            get(rg::PUBLIC_HEALTH),
            vec![format!(
                "事件属于突发公共卫生事件（{}），不属于生产经营活动中发生的生产安全事故",
                health.first().copied().unwrap_or(label)
            )],
            catalog,
        );
    }
    let env = hits(sentence, rg::ENVIRONMENT_SIGNALS);
    if concept == "EcoEnvironmentEvent" || (concept.is_empty() && !env.is_empty()) {
        return result(
            get(rg::ENVIRONMENT),
            vec!["环境污染事故不适用《生产安全事故报告和调查处理条例》".into()],
            catalog,
        );
    }
    // Natural disasters: the event itself is natural (a fire started by
    // lightning in a forest is one too).
    let natural = hits(text, rg::NATURAL_SIGNALS);
    let natural_event = matches!(
        concept,
        "Earthquake"
            | "FloodDrought"
            | "Meteorological"
            | "Geological"
            | "Marine"
            | "ForestGrasslandFire"
            | "BiologicalDisaster"
    );
    if natural_event {
        return result(
            get(rg::NATURAL_DISASTER),
            vec![format!(
                "事件属于自然灾害（{}），不是生产经营活动中发生的生产安全事故",
                natural.first().copied().unwrap_or(label)
            )],
            catalog,
        );
    }
    // Special equipment named where the event is stated. A building's
    // elevator serves many households and is special equipment; a
    // household's own gas cylinder in a home with no business is not.
    let equipment = equipment_terms(book, catalog);
    // …and named as equipment, not as a place (锅炉房 is a room).
    let named = equipment.iter().find(|(w, _)| {
        sentence
            .match_indices(w.as_str())
            .any(|(b, m)| !sentence[b + m.len()..].starts_with(['房', '间', '区', '站', '厂']))
    });
    let household = !residential.is_empty() && !business;
    if let Some((word, member)) = named {
        let own_cylinder = household && rg::HOUSEHOLD_EQUIPMENT.iter().any(|h| word.contains(h));
        if !own_cylinder {
            let why = if word == member {
                format!("事故涉及特种设备（{member}）")
            } else {
                format!("事故涉及特种设备（{word}，属{member}）")
            };
            return result(get(rg::SPECIAL_EQUIPMENT), vec![why], catalog);
        }
    }
    // A household with no production or business activity.
    if household {
        let r = if label == "火灾" {
            rg::NON_PRODUCTION_FIRE
        } else {
            rg::NON_PRODUCTION
        };
        return result(
            get(r),
            vec![format!(
                "事故发生在居民生活场所（{}），未见生产经营活动，不属于生产安全事故",
                residential.join("、")
            )],
            catalog,
        );
    }
    let power = hits(text, rg::POWER_SIGNALS);
    if !power.is_empty() && (inc.deaths.is_none() || text.contains("停电")) {
        return result(
            get(rg::POWER),
            vec![format!(
                "事故影响电力系统运行或供电（{}）",
                power.join("、")
            )],
            catalog,
        );
    }
    let mut reasons = Vec::new();
    if business {
        let mut s: Vec<String> = production.iter().take(3).map(|x| x.to_string()).collect();
        if let Some(u) = &inc.unit {
            s.insert(0, u.value.clone());
        }
        reasons.push(format!("事故发生在生产经营活动中（{}）", s.join("、")));
    } else {
        reasons.push("文中未明确是否发生在生产经营活动中，暂按生产安全事故处理，请核实".into());
    }
    result(get(rg::WORK_SAFETY), reasons, catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regime_of(text: &str) -> &'static str {
        let inc = emkg_ingest::incident::extract(text);
        route(&inc, text, &RuleBook::default(), &Catalog::default()).id
    }

    #[test]
    fn out_of_scope_regimes() {
        assert_eq!(
            regime_of("某林区因雷击引发森林火灾，过火面积约300公顷，无人员伤亡"),
            rg::NATURAL_DISASTER
        );
        assert_eq!(
            regime_of("某县发生5.2级地震，造成3人受伤"),
            rg::NATURAL_DISASTER
        );
        assert_eq!(
            regime_of("台风过境导致某镇严重内涝，2人死亡"),
            rg::NATURAL_DISASTER
        );
        assert_eq!(
            regime_of("某居民楼一户人家自用液化气罐泄漏爆炸，造成1名住户死亡"),
            rg::NON_PRODUCTION
        );
        assert_eq!(
            regime_of("某小区居民楼一住户家中起火，1人死亡"),
            rg::NON_PRODUCTION_FIRE
        );
        assert_eq!(
            regime_of("某学校食堂发生食物中毒，30名学生送医"),
            rg::PUBLIC_HEALTH
        );
        assert_eq!(
            regime_of("某地发生聚集性传染病疫情，确诊12例"),
            rg::PUBLIC_HEALTH
        );
        assert_eq!(regime_of("某河段发生水污染，大量死鱼"), rg::ENVIRONMENT);
    }

    #[test]
    fn regressions_from_review() {
        // An epidemic mentioned in passing does not make an explosion a health event.
        assert_eq!(
            regime_of("疫情防控期间，某化工厂发生爆炸，造成3人死亡"),
            rg::WORK_SAFETY
        );
        assert_eq!(
            regime_of("某机械厂发生机械伤害事故，1人死亡，另有1名工人伤口感染"),
            rg::WORK_SAFETY
        );
        // A fire station is not a business; a denied business is none.
        assert_eq!(
            regime_of("某居民家中起火，消防站出动2辆消防车扑救，造成1人死亡"),
            rg::NON_PRODUCTION_FIRE
        );
        assert_eq!(
            regime_of("某村民家中发生燃气爆炸，造成3人死亡，该户无任何生产经营活动"),
            rg::NON_PRODUCTION
        );
    }

    #[test]
    fn production_accidents_stay_in_scope() {
        assert_eq!(regime_of("某化工厂仓库发生火灾，3人死亡"), rg::WORK_SAFETY);
        assert_eq!(
            regime_of("某纸业公司造纸车间发生有限空间中毒窒息事故，造成5人死亡"),
            rg::WORK_SAFETY
        );
        // A shop in a residential building is business activity.
        assert_eq!(
            regime_of("某居民楼下临街面包店起火，2人死亡"),
            rg::WORK_SAFETY
        );
        // 急性工业中毒 is a work-safety casualty, not a public-health event.
        assert_eq!(
            regime_of("某化纤厂有毒气体泄漏，100人急性工业中毒"),
            rg::WORK_SAFETY
        );
    }
}
