//! Colloquial words officers and residents use for terms of legal text, as
//! data: a query containing the key also searches for the statutory terms.
//! Each entry maps everyday wording to the wording the laws themselves use
//! (消防栓 → 消火栓, 抽烟 → 吸烟, 塔吊 → 起重机械); the special-equipment
//! names of `regimes::EQUIPMENT_SYNONYMS` count too.

/// (colloquial word, statutory terms).
pub const COLLOQUIAL: &[(&str, &[&str])] = &[
    // Parties.
    ("危化品", &["危险化学品"]),
    ("安全员", &["安全生产管理人员"]),
    ("老总", &["主要负责人"]),
    ("老板", &["主要负责人", "投资人"]),
    ("厂长", &["主要负责人"]),
    ("一把手", &["主要负责人"]),
    ("负责人", &["主要负责人"]),
    ("工人", &["从业人员"]),
    ("员工", &["从业人员"]),
    ("职工", &["从业人员"]),
    ("包工头", &["承包单位"]),
    ("外包", &["发包", "承包"]),
    ("物业", &["物业服务企业"]),
    ("房东", &["出租"]),
    ("租户", &["承租"]),
    ("消防队", &["消防救援机构"]),
    ("消防员", &["消防救援人员"]),
    ("卫健", &["卫生健康", "卫生行政"]),
    ("应急局", &["应急管理部门"]),
    ("安监", &["安全生产监督管理"]),
    ("电工", &["特种作业人员"]),
    ("焊工", &["特种作业人员"]),
    // Things and places.
    ("消防栓", &["消火栓"]),
    ("灭火器", &["消防器材"]),
    ("安全帽", &["劳动防护用品"]),
    ("劳保", &["劳动防护用品"]),
    ("防护用品", &["劳动防护用品"]),
    ("上岗证", &["特种作业操作证"]),
    ("操作证", &["特种作业操作证"]),
    ("执照", &["许可证"]),
    ("煤气", &["燃气"]),
    ("液化气", &["燃气", "气瓶"]),
    ("炸药", &["民用爆炸物品"]),
    ("鞭炮", &["烟花爆竹"]),
    ("烟花", &["烟花爆竹"]),
    ("下水道", &["有限空间"]),
    ("化粪池", &["有限空间"]),
    ("污水井", &["有限空间"]),
    ("地下室", &["地下空间"]),
    ("工地", &["施工", "建设工程"]),
    ("厂房", &["建设项目"]),
    ("宿舍", &["员工集体宿舍"]),
    ("通道", &["疏散通道"]),
    ("出口", &["安全出口"]),
    ("压力表", &["安全附件"]),
    ("电线", &["电气线路"]),
    ("漏电", &["电气"]),
    ("消防车", &["消防车"]),
    // Acts.
    ("抽烟", &["吸烟"]),
    ("烧焊", &["焊接", "动火作业"]),
    // 焊接与热切割作业 is a 特种作业 (特种作业目录).
    ("电焊", &["焊接", "动火作业", "特种作业"]),
    ("气焊", &["焊接", "动火作业", "特种作业"]),
    // The laws say 未取得…证 / 持证上岗 where people say 无证.
    ("无证", &["未取得", "持证上岗", "操作证"]),
    ("动火", &["动火作业"]),
    ("救火", &["灭火救援", "火灾扑救"]),
    ("灭火", &["火灾扑救"]),
    ("抗洪", &["防汛", "抢险救灾"]),
    ("救灾", &["抢险救灾"]),
    ("演习", &["应急演练"]),
    ("出事", &["生产安全事故"]),
    ("出了事故", &["生产安全事故"]),
    ("瞒着不报", &["瞒报"]),
    ("不报", &["瞒报", "迟报"]),
    ("逃跑", &["逃匿"]),
    ("跑了", &["逃匿"]),
    ("关门", &["停产停业"]),
    ("停业", &["停产停业"]),
    ("罚多少", &["罚款"]),
    ("罚钱", &["罚款"]),
    ("交钱", &["收费"]),
    ("撤离", &["转移", "疏散"]),
    ("培训", &["安全生产教育和培训"]),
    ("验收", &["验收合格"]),
    ("坏了", &["维护", "故障"]),
    ("不正常", &["异常情况"]),
    ("有毒气体", &["中毒"]),
    ("堵了", &["堵塞"]),
    ("锁了", &["锁闭"]),
];

/// Words that mark a text as being about safety and emergencies; their
/// density says how much a document belongs to this engine's domain.
pub const DOMAIN_WORDS: &[&str] = &[
    "安全生产",
    "事故",
    "应急",
    "消防",
    "危险",
    "灾害",
    "救援",
    "隐患",
    "防护",
    "突发事件",
    "火灾",
    "爆炸",
    "特种设备",
    "危险化学品",
    "防汛",
    "地震",
    "抢险",
    "伤亡",
    "预警",
    "安全",
];

/// Title words that name the domain as a whole, the issuer or the form of
/// an instrument rather than a narrower subject: what is left of a title
/// without them (危险化学品, 特种设备, 燃气) is the scope the document is
/// limited to. Longest first where one contains another.
pub const GENERIC_TITLE_WORDS: &[&str] = &[
    "全国人民代表大会常务委员会",
    "中华人民共和国",
    "国务院办公厅",
    "国务院安委会",
    "中共中央",
    "国务院",
    "上海市",
    "某区",
    "样例",
    "生产安全事故",
    "安全生产",
    "突发事件",
    "应急预案",
    "应急管理",
    "应急处置",
    "应急",
    "预案",
    "违法行为",
    "行政处罚",
    "责任追究",
    "责任制",
    "领导干部",
    "地方党政",
    "进一步",
    "总体",
    "国家",
    "关于",
    "实施",
    "管理",
    "事故",
    "报告",
    "调查",
    "处理",
    "处置",
    "信息",
    "安全",
    "生产",
    "条例",
    "规定",
    "办法",
    "细则",
    "暂行",
    "若干",
    "工作",
    "意见",
    "通知",
    "决定",
    "加强",
    "全面",
    "处罚",
    "罚款",
    "行政",
    "监督",
    "检查",
    "监察",
    "专项",
    "应对",
    "突发",
    "事件",
    "事业单位",
    "企业",
    "单位",
    "人员",
    "机关",
    "团体",
    "技术",
    "和",
    "与",
    "的",
    "法",
];

/// Question words that place a question within a scope its own words do
/// not name: a fire is a matter of 消防, a boiler of 特种设备 (its
/// equipment names in `regimes::EQUIPMENT_SYNONYMS` count too).
pub const SCOPE_IMPLIED: &[(&str, &[&str])] = &[
    (
        "消防",
        &["火灾", "着火", "失火", "起火", "灭火", "火情", "消防"],
    ),
    ("火灾", &["消防", "着火", "失火", "起火", "灭火", "火情"]),
    (
        "特种设备",
        &[
            "锅炉",
            "压力容器",
            "气瓶",
            "电梯",
            "起重",
            "索道",
            "游乐设施",
            "压力管道",
            "场内机动车",
        ],
    ),
    (
        "危险化学品",
        &["危化", "剧毒", "易燃易爆", "易制爆", "液氨", "氯气", "化工"],
    ),
    ("燃气", &["煤气", "天然气", "液化气", "液化石油气"]),
    ("防汛", &["洪", "汛", "涝", "暴雨", "台风", "积水"]),
    ("防洪", &["洪", "汛", "涝", "暴雨"]),
    ("防震减灾", &["地震", "震"]),
    ("地震", &["地震", "震"]),
    (
        "公共卫生",
        &[
            "疫情",
            "传染病",
            "食物中毒",
            "群体性不明原因疾病",
            "发热病人",
            "卫生",
        ],
    ),
    ("职业病", &["职业", "粉尘", "噪声", "中毒"]),
    ("建设工程", &["工地", "施工", "工程", "脚手架", "基坑"]),
    ("电力", &["电网", "停电", "供电", "发电"]),
    ("道路交通", &["交通", "车", "驾驶"]),
    ("烟花爆竹", &["鞭炮", "烟花", "爆竹"]),
    ("自然灾害", &["灾害", "受灾", "灾民", "救灾"]),
    (
        "气象灾害",
        &["暴雨", "台风", "高温", "寒潮", "大风", "冰雹", "雷电"],
    ),
];

/// Domain words per thousand characters of `text`.
pub fn domain_density(text: &str) -> f32 {
    let n = text.chars().count().max(1) as f32;
    let hits: usize = DOMAIN_WORDS.iter().map(|w| text.matches(w).count()).sum();
    hits as f32 * 1000.0 / n
}

/// The statutory terms that `query` implies, not already in it.
pub fn expansions(query: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut add = |t: &'static str| {
        if !query.contains(t) && !out.contains(&t) {
            out.push(t);
        }
    };
    for (k, terms) in COLLOQUIAL {
        if query.contains(k) {
            for t in *terms {
                add(t);
            }
        }
    }
    for (word, member) in crate::regimes::EQUIPMENT_SYNONYMS {
        if query.contains(word) {
            add(member);
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
        assert!(super::expansions("塔吊没验收").contains(&"起重机械"));
        assert!(super::expansions("在仓库门口抽烟").contains(&"吸烟"));
    }
}
