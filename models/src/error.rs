//! Typed errors of the model engine. Messages reach end users (CLI, API), so
//! they are in Chinese and name the file or limit involved.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("模型文件不存在：{0}（请先运行 models/fetch.sh 获取模型）")]
    Missing(PathBuf),
    #[error("无法读取模型文件 {path}：{source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("模型文件格式错误（{path}）：{reason}")]
    Format { path: PathBuf, reason: String },
    #[error("分词器错误：{0}")]
    Tokenizer(String),
    #[error("模型计算错误：{0}")]
    Compute(#[from] candle_core::Error),
    #[error("提示过长：{tokens} 个词元，超过上限 {limit}")]
    PromptTooLong { tokens: usize, limit: usize },
    #[error("模型配置错误：{0}")]
    Config(String),
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            ModelError::Missing(path)
        } else {
            ModelError::Io { path, source }
        }
    }

    pub(crate) fn format(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        ModelError::Format {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;
