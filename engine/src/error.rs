//! Typed errors of the engine. Messages are Chinese: they reach end users.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("数据目录读写失败（{path}）：{source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("数据目录 {path} 由不兼容的版本写入（数据格式版本 {found}，本程序支持 {supported}）。请使用新的数据目录重新导入。")]
    IncompatibleVersion {
        path: PathBuf,
        found: String,
        supported: u32,
    },
    #[error("{path} 不是 emkg 数据目录（目录非空且缺少 emkg-data.json），为避免覆盖已有文件，拒绝使用。")]
    NotADataDir { path: PathBuf },
    #[error("数据目录 {0} 尚未导入任何文档，请先运行 emkg ingest。")]
    NotInitialised(PathBuf),
    #[error("数据文件损坏（{path}）：{reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("全文索引错误：{0}")]
    Index(String),
    #[error("知识图谱存储错误：{0}")]
    Graph(String),
    #[error("查询无效：{0}")]
    BadQuery(String),
    #[error("文档不存在：{0}")]
    NoSuchDocument(String),
    #[error("向量索引错误：{0}")]
    Vector(String),
    #[error(transparent)]
    Model(#[from] emkg_models::ModelError),
    #[error("{0}")]
    Unavailable(String),
    #[error("数据目录 {path} 正在被{holders}使用，无法{}。请等待其结束（或先停止服务）后重试。", match wanted { crate::lock::Access::Read => "读取", crate::lock::Access::Write => "写入" })]
    Locked {
        path: PathBuf,
        wanted: crate::lock::Access,
        holders: String,
    },
    #[error("文档已被删除或从未导入：{0}")]
    NotStored(String),
}

impl EngineError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        EngineError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<tantivy::TantivyError> for EngineError {
    fn from(e: tantivy::TantivyError) -> Self {
        EngineError::Index(e.to_string())
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
