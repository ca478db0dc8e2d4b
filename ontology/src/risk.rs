//! Risk-assessment methods as data: the LEC scales (作业条件危险性评价法,
//! D = L × E × C) and the 4×4 risk matrix, and the risk factors a site
//! description names, with the consequence each can lead to.

/// One step of an LEC scale: (value, Chinese meaning).
pub type Step = (f64, &'static str);

/// L — likelihood of an accident.
pub const LIKELIHOOD: [Step; 7] = [
    (0.1, "实际不可能"),
    (0.2, "极不可能"),
    (0.5, "很不可能，可以设想"),
    (1.0, "可能性小，完全意外"),
    (3.0, "可能，但不经常"),
    (6.0, "相当可能"),
    (10.0, "完全可以预料"),
];

/// E — how often people are exposed.
pub const EXPOSURE: [Step; 6] = [
    (0.5, "非常罕见地暴露"),
    (1.0, "每年几次暴露"),
    (2.0, "每月一次暴露"),
    (3.0, "每周一次或偶然暴露"),
    (6.0, "每天工作时间内暴露"),
    (10.0, "连续暴露"),
];

/// C — consequence.
pub const CONSEQUENCE: [Step; 6] = [
    (1.0, "引人注目，需要救护"),
    (3.0, "重大，致残"),
    (7.0, "严重，重伤"),
    (15.0, "非常严重，一人死亡"),
    (40.0, "灾难，数人死亡"),
    (100.0, "大灾难，许多人死亡"),
];

/// D classes: (lower bound exclusive, class, colour of the matrix level it maps to).
pub const DANGER_CLASSES: [(f64, &str); 5] = [
    (320.0, "极其危险，不能继续作业"),
    (160.0, "高度危险，需立即整改"),
    (70.0, "显著危险，需要整改"),
    (20.0, "一般危险，需要注意"),
    (0.0, "稍有危险，可以接受"),
];

/// The class of a D value.
pub fn danger_class(d: f64) -> &'static str {
    DANGER_CLASSES
        .iter()
        .find(|(lo, _)| d > *lo)
        .map(|(_, c)| *c)
        .unwrap_or(DANGER_CLASSES[4].1)
}

/// The matrix's likelihood grade (1–4) of an L value: ≥ 6 相当可能及以上 is 4,
/// ≥ 3 is 3, ≥ 1 is 2, below is 1.
pub fn likelihood_grade(l: f64) -> u8 {
    match l {
        x if x >= 6.0 => 4,
        x if x >= 3.0 => 3,
        x if x >= 1.0 => 2,
        _ => 1,
    }
}

/// The matrix's severity grade (1–4) of a C value: ≥ 40 数人死亡 is 4, ≥ 15 is
/// 3, ≥ 7 is 2, below is 1.
pub fn severity_grade(c: f64) -> u8 {
    match c {
        x if x >= 40.0 => 4,
        x if x >= 15.0 => 3,
        x if x >= 7.0 => 2,
        _ => 1,
    }
}

/// Risk matrix levels by likelihood grade (1–4) × severity grade (1–4):
/// product ≥ 12 重大, ≥ 8 较大, ≥ 4 一般, else 低 — with their colours.
pub fn matrix_level(likelihood: u8, severity: u8) -> (&'static str, &'static str) {
    match likelihood as u16 * severity as u16 {
        12.. => ("重大风险", "红"),
        8..=11 => ("较大风险", "橙"),
        4..=7 => ("一般风险", "黄"),
        _ => ("低风险", "蓝"),
    }
}

/// A risk factor a site description may name.
#[derive(Debug, Clone, Copy)]
pub struct Factor {
    /// Words that name it.
    pub words: &'static [&'static str],
    pub label: &'static str,
    /// Taxonomy concept, when the taxonomy has one.
    pub concept: Option<&'static str>,
    /// An ignition source, a fuel, or an obstacle to escape: fire needs the
    /// first two together; the third makes its consequence worse.
    pub role: Role,
    /// The worst credible consequence (C of LEC) if it leads to an accident.
    pub consequence: f64,
    /// Statutory words to search provisions by.
    pub terms: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Ignition,
    Fuel,
    Escape,
    Other,
}

pub const FACTORS: &[Factor] = &[
    Factor {
        words: &["电气焊", "电焊", "气焊", "焊接", "切割", "动火"],
        label: "动火作业（电气焊）",
        concept: Some("HotWork"),
        role: Role::Ignition,
        consequence: 40.0,
        terms: &["动火", "电焊", "气焊", "焊接"],
    },
    Factor {
        words: &[
            "易燃物",
            "易燃易爆",
            "可燃物",
            "易燃",
            "可燃",
            "油漆",
            "稀释剂",
            "汽油",
            "泡沫",
        ],
        label: "易燃可燃物品",
        concept: None,
        role: Role::Fuel,
        consequence: 40.0,
        terms: &["易燃易爆", "可燃物", "易燃"],
    },
    Factor {
        words: &["危险化学品", "危化品", "化学品"],
        label: "危险化学品",
        concept: Some("HazchemTrading"),
        role: Role::Fuel,
        consequence: 40.0,
        terms: &["危险化学品"],
    },
    Factor {
        words: &["疏散通道", "安全出口", "消防通道", "消防车通道", "逃生通道"],
        label: "疏散通道、安全出口",
        concept: None,
        role: Role::Escape,
        consequence: 40.0,
        terms: &["疏散通道", "安全出口", "消防车通道"],
    },
    Factor {
        words: &[
            "有限空间",
            "受限空间",
            "密闭空间",
            "污水井",
            "化粪池",
            "储罐内",
        ],
        label: "有限空间作业",
        concept: Some("ConfinedSpace"),
        role: Role::Other,
        consequence: 40.0,
        terms: &["有限空间"],
    },
    Factor {
        words: &["电动自行车", "电瓶车", "电动车充电", "飞线充电"],
        label: "电动自行车停放充电",
        concept: None,
        role: Role::Ignition,
        consequence: 40.0,
        terms: &["电动自行车"],
    },
    Factor {
        words: &[
            "私拉乱接",
            "电线老化",
            "线路老化",
            "漏电",
            "配电箱",
            "配电间",
            "高低压配电",
        ],
        label: "电气线路与配电",
        concept: None,
        role: Role::Ignition,
        consequence: 15.0,
        terms: &["电气线路", "电气设备"],
    },
    Factor {
        words: &["粉尘"],
        label: "可燃性粉尘",
        concept: None,
        role: Role::Fuel,
        consequence: 40.0,
        terms: &["粉尘", "粉尘防爆"],
    },
    Factor {
        words: &["高处作业", "脚手架", "临边", "登高"],
        label: "高处作业",
        concept: Some("FallFromHeight"),
        role: Role::Other,
        consequence: 15.0,
        terms: &["高处作业"],
    },
    Factor {
        words: &["燃气", "液化气", "天然气", "液化石油气"],
        label: "燃气",
        concept: None,
        role: Role::Fuel,
        consequence: 40.0,
        terms: &["燃气"],
    },
    Factor {
        words: &["人员密集", "商场", "展会", "大型活动", "宿舍", "住人"],
        label: "人员密集或有人住宿",
        concept: Some("CrowdedEvent"),
        role: Role::Escape,
        consequence: 100.0,
        terms: &["人员密集场所"],
    },
    Factor {
        words: &["消防设施", "灭火器", "消火栓", "自动喷水", "烟感"],
        label: "消防设施器材",
        concept: None,
        role: Role::Escape,
        consequence: 40.0,
        terms: &["消防设施", "消防器材"],
    },
    Factor {
        words: &["特种作业", "无证", "未持证", "持证"],
        label: "特种作业人员资格",
        concept: None,
        role: Role::Other,
        consequence: 15.0,
        terms: &["特种作业人员", "特种作业操作证"],
    },
    Factor {
        words: &["起重", "塔吊", "吊装"],
        label: "起重作业",
        concept: Some("LiftingInjury"),
        role: Role::Other,
        consequence: 40.0,
        terms: &["起重机械"],
    },
];

/// Words that mark a finding as a breach or a missing control.
pub const VIOLATION_CUES: &[&str] = &[
    "违规",
    "违章",
    "无",
    "未",
    "没有",
    "缺少",
    "缺失",
    "堵塞",
    "占用",
    "封闭",
    "锁闭",
    "私拉乱接",
    "超量",
    "擅自",
    "不符合",
    "失效",
    "损坏",
    "老化",
    "过期",
    "随意",
    "混放",
    "乱堆",
];
