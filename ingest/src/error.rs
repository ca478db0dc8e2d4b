//! Typed errors of ingest. Messages are Chinese: they reach end users verbatim.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("无法读取文件 {path}：{source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("文件为空：{0}")]
    Empty(PathBuf),
    #[error("文件过大：{path}（{size} 字节，上限 {limit} 字节）")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("疑似二进制文件，已跳过：{0}")]
    Binary(PathBuf),
    #[error("无法识别文件编码（不是 UTF-8、UTF-16 或 GB18030/GBK）：{0}")]
    Undecodable(PathBuf),
    #[error("不是有效的 .docx 文件（{reason}）：{path}")]
    BadDocx { path: PathBuf, reason: String },
    #[error("不支持的文件类型 .{ext}：{path}")]
    Unsupported { path: PathBuf, ext: String },
    #[error("文件中没有可识别的正文：{0}")]
    NoText(PathBuf),
    #[error("法规数据库无法读取（{reason}）：{path}")]
    BadDatabase { path: PathBuf, reason: String },
}

pub type Result<T, E = IngestError> = std::result::Result<T, E>;
