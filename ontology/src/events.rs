//! Words that name what happened in an incident report, as data: each
//! trigger maps to a short event label (火灾, 交通事故 …) and a taxonomy
//! concept (`taxonomy::TERMS` local name). The incident extractor matches
//! the longest trigger at each position.

/// One event trigger.
#[derive(Debug, Clone, Copy)]
pub struct Trigger {
    pub word: &'static str,
    /// Event label reported to users (`event_type`).
    pub label: &'static str,
    /// Taxonomy concept (IRI local name in `ttl/emkg.ttl`).
    pub concept: &'static str,
    /// A verb that states the event happened (起火, 相撞); nouns (火灾) need
    /// 发生/突发 before them to count as the event's predicate.
    pub verb: bool,
}

const fn t(word: &'static str, label: &'static str, concept: &'static str, verb: bool) -> Trigger {
    Trigger {
        word,
        label,
        concept,
        verb,
    }
}

pub const TRIGGERS: &[Trigger] = &[
    // Fire. Forest and grassland fires are natural disasters in the national
    // classification but are still fires to a duty officer.
    t("森林火灾", "火灾", "ForestGrasslandFire", false),
    t("草原火灾", "火灾", "ForestGrasslandFire", false),
    t("森林草原火灾", "火灾", "ForestGrasslandFire", false),
    t("山火", "火灾", "ForestGrasslandFire", false),
    t("火灾", "火灾", "FireAccident", false),
    t("火警", "火灾", "FireAccident", false),
    t("火情", "火灾", "FireAccident", false),
    t("大火", "火灾", "FireAccident", false),
    t("起火", "火灾", "FireAccident", true),
    t("着火", "火灾", "FireAccident", true),
    t("失火", "火灾", "FireAccident", true),
    t("燃烧", "火灾", "FireAccident", true),
    // Explosions.
    t("煤与瓦斯突出", "爆炸", "GasExplosion", false),
    t("瓦斯爆炸", "爆炸", "GasExplosion", true),
    t("粉尘爆炸", "爆炸", "OtherExplosion", true),
    t("锅炉爆炸", "爆炸", "BoilerExplosion", true),
    t("爆炸", "爆炸", "OtherExplosion", true),
    t("爆燃", "爆炸", "OtherExplosion", true),
    t("闪爆", "爆炸", "OtherExplosion", true),
    // Road and other transport.
    t("交通事故", "交通事故", "TransportAccident", false),
    t("车祸", "交通事故", "TransportAccident", false),
    t("相撞", "交通事故", "TransportAccident", true),
    t("追尾", "交通事故", "TransportAccident", true),
    t("翻车", "交通事故", "TransportAccident", true),
    t("侧翻", "交通事故", "TransportAccident", true),
    t("撞上", "交通事故", "TransportAccident", true),
    t("撞到", "交通事故", "TransportAccident", true),
    t("碰撞", "交通事故", "TransportAccident", true),
    t("坠江", "交通事故", "TransportAccident", true),
    t("坠河", "交通事故", "TransportAccident", true),
    t("坠崖", "交通事故", "TransportAccident", true),
    t("翻入", "交通事故", "TransportAccident", true),
    t("卷进车轮", "交通事故", "TransportAccident", true),
    t("碾压", "交通事故", "TransportAccident", true),
    // Natural hazards.
    t("地震", "地震", "Earthquake", false),
    t("洪涝", "洪涝", "FloodDrought", false),
    t("洪水", "洪涝", "FloodDrought", false),
    t("内涝", "洪涝", "FloodDrought", false),
    t("山洪", "洪涝", "FloodDrought", false),
    t("决堤", "洪涝", "FloodDrought", true),
    t("溃坝", "洪涝", "FloodDrought", true),
    t("台风", "台风", "Meteorological", false),
    t("暴雨", "气象灾害", "Meteorological", false),
    t("暴雪", "气象灾害", "Meteorological", false),
    t("冰雹", "气象灾害", "Meteorological", false),
    t("泥石流", "地质灾害", "Geological", false),
    t("滑坡", "地质灾害", "Geological", true),
    t("山体崩塌", "地质灾害", "Geological", true),
    // Work-safety injury categories.
    t("坍塌", "坍塌", "Collapse", true),
    t("倒塌", "坍塌", "Collapse", true),
    t("塌方", "坍塌", "Collapse", true),
    t("垮塌", "坍塌", "Collapse", true),
    t("压塌", "坍塌", "Collapse", true),
    t("塌陷", "坍塌", "Collapse", true),
    t("整体倾覆", "起重伤害", "LiftingInjury", true),
    t("倾覆", "坍塌", "Collapse", true),
    t("中毒窒息", "中毒和窒息", "PoisoningAsphyxiation", true),
    t("中毒和窒息", "中毒和窒息", "PoisoningAsphyxiation", true),
    t("窒息", "中毒和窒息", "PoisoningAsphyxiation", true),
    t("急性工业中毒", "中毒和窒息", "PoisoningAsphyxiation", true),
    t("中毒", "中毒和窒息", "PoisoningAsphyxiation", true),
    t("泄漏", "泄漏", "HazardousLeak", true),
    t("泄露", "泄漏", "HazardousLeak", true),
    t("触电", "触电", "ElectricShock", true),
    t("电击", "触电", "ElectricShock", true),
    t("高处坠落", "高处坠落", "FallFromHeight", true),
    t("坠落", "高处坠落", "FallFromHeight", true),
    t("坠亡", "高处坠落", "FallFromHeight", true),
    t("机械伤害", "机械伤害", "MachineryInjury", false),
    t("卷入", "机械伤害", "MachineryInjury", true),
    t("绞伤", "机械伤害", "MachineryInjury", true),
    t("起重伤害", "起重伤害", "LiftingInjury", false),
    t("物体打击", "物体打击", "ObjectStrike", false),
    t("溺水", "淹溺", "Drowning", true),
    t("淹溺", "淹溺", "Drowning", true),
    t("溺亡", "淹溺", "Drowning", true),
    t("灼烫", "灼烫", "Scald", true),
    t("烫伤", "灼烫", "Scald", true),
    t("透水", "透水", "WaterInrush", true),
    t("冒顶", "冒顶片帮", "RoofFall", true),
    t("片帮", "冒顶片帮", "RoofFall", true),
    t("电梯困人", "特种设备事故", "SpecialEquipmentAccident", true),
    // Public health, environment, social security.
    t("食物中毒", "食物中毒", "FoodSafetyEvent", true),
    t("传染病", "传染病疫情", "InfectiousDisease", false),
    t("疫情", "传染病疫情", "InfectiousDisease", false),
    t("不明原因疾病", "公共卫生事件", "UnexplainedDisease", false),
    t("环境污染", "环境污染", "EcoEnvironmentEvent", false),
    t("水污染", "环境污染", "EcoEnvironmentEvent", false),
    t("突发环境事件", "环境污染", "EcoEnvironmentEvent", false),
    t("恐怖袭击", "恐怖袭击", "Terrorism", false),
];

/// The longest trigger that starts at `chars[i]`.
pub fn trigger_at(chars: &[char], i: usize) -> Option<&'static Trigger> {
    TRIGGERS
        .iter()
        .filter(|t| {
            let n = t.word.chars().count();
            i + n <= chars.len() && t.word.chars().zip(&chars[i..i + n]).all(|(a, b)| a == *b)
        })
        .max_by_key(|t| t.word.chars().count())
}

/// Triggers that read as the cause of another event when they come first
/// (泄漏 before 爆炸, 爆炸 before 起火).
pub fn is_precursor(label: &str) -> bool {
    matches!(label, "泄漏")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::TERMS;

    #[test]
    fn longest_trigger_wins_and_concepts_exist() {
        let c: Vec<char> = "森林火灾".chars().collect();
        assert_eq!(
            trigger_at(&c, 0).map(|t| t.concept),
            Some("ForestGrasslandFire")
        );
        for t in TRIGGERS {
            assert!(
                TERMS.iter().any(|x| x.local == t.concept),
                "{} has no taxonomy term",
                t.concept
            );
        }
    }
}
