//! The legal regimes an incident may fall under, as data: which document's
//! grade definitions and reporting duties apply, and the words by which an
//! incident shows which regime it belongs to.
//!
//! Only the routing lives here. Thresholds, deadlines, recipients and the
//! equipment a regime covers are read from the documents themselves (the
//! knowledge graph); a regime whose documents are not ingested says so.

/// One regime.
#[derive(Debug, Clone, Copy)]
pub struct Regime {
    pub id: &'static str,
    /// Chinese name for users.
    pub name: &'static str,
    /// Normalised titles of the documents whose grade definitions apply, in
    /// order of preference.
    pub grading: &'static [&'static str],
    /// Normalised titles of the documents whose reporting duties apply.
    pub reporting: &'static [&'static str],
    /// (normalised title, article) that define the regime's scope — cited as
    /// the basis of the routing decision.
    pub basis: &'static [(&'static str, u32)],
    /// Whether incidents of this regime are graded by the production-safety
    /// scheme at all (false: the 条例's grading is 不适用).
    pub production_safety: bool,
}

pub const WORK_SAFETY: &str = "work_safety";
pub const SPECIAL_EQUIPMENT: &str = "special_equipment";
pub const POWER: &str = "power";
pub const NATURAL_DISASTER: &str = "natural_disaster";
pub const PUBLIC_HEALTH: &str = "public_health";
pub const ENVIRONMENT: &str = "environment";
pub const NON_PRODUCTION_FIRE: &str = "non_production_fire";
pub const NON_PRODUCTION: &str = "non_production";

/// The production-safety regulation: its grading is the default scheme.
pub const WORK_SAFETY_REGULATION: &str = "生产安全事故报告和调查处理条例";

pub const REGIMES: &[Regime] = &[
    Regime {
        id: WORK_SAFETY,
        name: "生产安全事故",
        grading: &[WORK_SAFETY_REGULATION],
        reporting: &[WORK_SAFETY_REGULATION, "生产安全事故信息报告和处置办法"],
        basis: &[(WORK_SAFETY_REGULATION, 2), (WORK_SAFETY_REGULATION, 3)],
        production_safety: true,
    },
    Regime {
        id: SPECIAL_EQUIPMENT,
        name: "特种设备事故",
        grading: &["特种设备安全监察条例"],
        reporting: &["特种设备事故报告和调查处理规定", "特种设备安全监察条例"],
        basis: &[("特种设备安全监察条例", 2)],
        production_safety: true,
    },
    Regime {
        id: POWER,
        name: "电力安全事故",
        grading: &["电力安全事故应急处置和调查处理条例"],
        reporting: &["电力安全事故应急处置和调查处理条例"],
        basis: &[
            ("电力安全事故应急处置和调查处理条例", 2),
            ("电力安全事故应急处置和调查处理条例", 34),
        ],
        production_safety: true,
    },
    Regime {
        id: NATURAL_DISASTER,
        name: "自然灾害",
        grading: &[],
        reporting: &["自然灾害救助条例"],
        basis: &[
            (WORK_SAFETY_REGULATION, 2),
            ("突发事件应对法", 2),
            ("突发事件应对法", 3),
        ],
        production_safety: false,
    },
    Regime {
        id: PUBLIC_HEALTH,
        name: "突发公共卫生事件",
        grading: &[],
        reporting: &["突发公共卫生事件应急条例"],
        basis: &[(WORK_SAFETY_REGULATION, 2), ("突发公共卫生事件应急条例", 2)],
        production_safety: false,
    },
    Regime {
        id: ENVIRONMENT,
        name: "突发环境事件（环境污染事故）",
        grading: &[],
        reporting: &[],
        basis: &[(WORK_SAFETY_REGULATION, 2), ("突发事件应对法", 2)],
        production_safety: false,
    },
    Regime {
        id: NON_PRODUCTION_FIRE,
        name: "非生产经营活动火灾",
        grading: &[],
        reporting: &[],
        basis: &[
            (WORK_SAFETY_REGULATION, 2),
            ("火灾事故调查规定", 5),
            ("火灾事故调查规定", 6),
        ],
        production_safety: false,
    },
    Regime {
        id: NON_PRODUCTION,
        name: "非生产经营活动事故",
        grading: &[],
        reporting: &[],
        basis: &[(WORK_SAFETY_REGULATION, 2), ("突发事件应对法", 2)],
        production_safety: false,
    },
];

pub fn regime(id: &str) -> Option<&'static Regime> {
    REGIMES.iter().find(|r| r.id == id)
}

/// Words that show an incident happened in production or business activity.
pub const PRODUCTION_SIGNALS: &[&str] = &[
    "公司",
    "企业",
    "工厂",
    "厂房",
    "车间",
    "工地",
    "施工",
    "煤矿",
    "矿井",
    "矿山",
    "井下",
    "作业",
    "工人",
    "员工",
    "职工",
    "仓库",
    "库房",
    "物流",
    "商场",
    "超市",
    "市场",
    "酒店",
    "宾馆",
    "饭店",
    "餐馆",
    "餐厅",
    "门店",
    "店铺",
    "商铺",
    "作坊",
    "加油站",
    "化工",
    "生产",
    "经营",
    "货车",
    "客车",
    "大货车",
    "罐车",
    "搅拌车",
    "运输",
    "公交",
    "校车",
    "危化品",
    "危险化学品",
    "隧道",
    "码头",
    "写字楼",
    "商业",
    "营业",
    "装修",
    "维修",
    "项目",
];

/// Special equipment a household may own and use itself (its gas
/// cylinder): in a home with no business, not a special-equipment accident.
pub const HOUSEHOLD_EQUIPMENT: &[&str] = &["液化气罐", "气瓶", "钢瓶", "煤气罐"];

/// Words that show a private household setting with no business activity.
pub const RESIDENTIAL_SIGNALS: &[&str] = &[
    "居民楼",
    "住宅",
    "民宅",
    "住户",
    "家中",
    "自用",
    "农户",
    "一户人家",
    "居民家",
    "私人住宅",
    "小区",
    "民房",
    "出租屋",
    "家庭",
];

/// Natural causes or events: the event is a natural disaster.
pub const NATURAL_SIGNALS: &[&str] = &[
    "雷击",
    "地震",
    "洪水",
    "洪涝",
    "山洪",
    "台风",
    "暴雨",
    "泥石流",
    "滑坡",
    "山体崩塌",
    "森林火灾",
    "草原火灾",
    "林区",
    "林火",
    "山火",
    "冰雹",
    "暴雪",
    "寒潮",
    "干旱",
    "风暴潮",
    "海啸",
];

/// Public-health events.
pub const PUBLIC_HEALTH_SIGNALS: &[&str] = &[
    "传染病",
    "疫情",
    "食物中毒",
    "群体性不明原因疾病",
    "不明原因疾病",
    "聚集性病例",
    "感染",
    "流感",
];

/// Environmental pollution events (条例 第二条 excludes 环境污染事故).
pub const ENVIRONMENT_SIGNALS: &[&str] = &[
    "环境污染",
    "水污染",
    "污染事件",
    "突发环境事件",
    "大气污染",
    "土壤污染",
    "饮用水源污染",
    "死鱼",
];

/// Power-system events (电力安全事故).
pub const POWER_SIGNALS: &[&str] = &[
    "电网",
    "减供负荷",
    "大面积停电",
    "发电机组",
    "变电站",
    "电厂",
];

/// Colloquial names of special equipment, mapped to the statutory member
/// name a regulation's definition lists (塔吊 is a 起重机械).
pub const EQUIPMENT_SYNONYMS: &[(&str, &str)] = &[
    ("塔吊", "起重机械"),
    ("塔式起重机", "起重机械"),
    ("门式起重机", "起重机械"),
    ("桥式起重机", "起重机械"),
    ("汽车吊", "起重机械"),
    ("吊车", "起重机械"),
    ("升降机", "起重机械"),
    ("施工升降机", "起重机械"),
    ("过山车", "大型游乐设施"),
    ("摩天轮", "大型游乐设施"),
    ("游乐设施", "大型游乐设施"),
    ("索道", "客运索道"),
    ("缆车", "客运索道"),
    ("叉车", "场（厂）内专用机动车辆"),
    ("气瓶", "压力容器"),
    ("钢瓶", "压力容器"),
    ("液化气罐", "压力容器"),
    ("反应釜", "压力容器"),
    ("蒸汽锅炉", "锅炉"),
    ("扶梯", "电梯"),
    ("自动扶梯", "电梯"),
];

/// Phrasing equivalences used when matching a grade criterion's condition
/// (电梯困人 states what the criterion calls 滞留人员).
pub const CONDITION_SYNONYMS: &[(&str, &str)] = &[
    ("困人", "滞留人员"),
    ("被困", "滞留"),
    ("困在", "滞留"),
    ("泄露", "泄漏"),
    ("倒塌", "倾覆"),
    ("翻倒", "倾覆"),
];
