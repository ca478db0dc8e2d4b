//! The full-text index boundary: [`TextIndex`] and its tantivy + jieba
//! implementation [`TantivyIndex`] (BM25 over title, heading path and text of
//! each retrieval chunk).
//!
//! The index is derived data: it can always be rebuilt from the documents in
//! the store. It records which catalog generation it reflects in its commit
//! payload.

use crate::error::{EngineError, Result};
use emkg_ontology::DocKind;
use std::path::Path;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value,
    STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, TextAnalyzer, TokenStream};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// One retrieval chunk as the index stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedChunk {
    pub unit_id: String,
    pub doc_id: String,
    pub doc_title: String,
    pub doc_kind: DocKind,
    pub heading_path: Vec<String>,
    /// The unit's own heading (section title), if any.
    pub heading: String,
    pub text: String,
    /// The first paragraph (an article's lead clause, a section's heading
    /// line): it names the subject, so it is weighted on its own and is not
    /// drowned by the length of a long enumeration.
    pub lead: String,
    pub article: Option<u32>,
    pub article_suffix: Option<u32>,
    pub clause: Option<u32>,
    pub section: Option<String>,
}

/// Restricts a search.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these document kinds (empty: all).
    pub kinds: Vec<DocKind>,
    /// Only these documents (empty: all).
    pub doc_ids: Vec<String>,
    /// Never these documents (those the caller may not read).
    pub exclude: Vec<String>,
}

/// A full-text index of chunks. Writes are staged until [`TextIndex::commit`],
/// which makes them visible atomically; a crash before it loses only the
/// staged writes.
pub trait TextIndex: Send + Sync {
    /// Stages removal of every chunk of `doc_id` and addition of `chunks`.
    fn replace_document(&mut self, doc_id: &str, chunks: &[IndexedChunk]) -> Result<()>;
    /// Stages removal of every chunk of `doc_id`.
    fn remove_document(&mut self, doc_id: &str) -> Result<()>;
    /// Makes staged writes visible and records `generation`.
    fn commit(&mut self, generation: u64) -> Result<()>;
    /// The generation recorded by the last commit.
    fn generation(&self) -> Result<Option<u64>>;
    /// Stages removal of every chunk (a rebuild starts from it).
    fn clear(&mut self) -> Result<()>;
    /// Drops the writes staged since the last commit.
    fn rollback(&mut self) -> Result<()>;
    /// Committed chunks per document id (for `emkg check`).
    fn doc_counts(&self) -> Result<std::collections::BTreeMap<String, u64>>;
    /// BM25 search; results best first.
    fn search(
        &self,
        query: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(f32, IndexedChunk)>>;
    /// BM25 search where `extra` terms (statutory words a colloquial query
    /// implies) count `extra_weight` as much as the query's own.
    fn search_expanded(
        &self,
        query: &str,
        extra: &[&str],
        _extra_weight: f32,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(f32, IndexedChunk)>> {
        let q = if extra.is_empty() {
            query.to_string()
        } else {
            format!("{query} {}", extra.join(" "))
        };
        self.search(&q, filter, limit)
    }
    /// A chunk by its unit id.
    fn get(&self, unit_id: &str) -> Result<Option<IndexedChunk>>;
    /// Number of chunks visible to searches.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The query terms the analyser keeps, for diagnostics.
    fn analyze(&self, query: &str) -> Vec<String>;
}

const TOKENIZER: &str = "jieba";

#[derive(Clone, Copy)]
struct Fields {
    unit_id: Field,
    doc_id: Field,
    doc_title: Field,
    doc_kind: Field,
    heading: Field,
    heading_path: Field,
    body: Field,
    lead: Field,
    article: Field,
    article_suffix: Field,
    clause: Field,
    section: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let stored_num = NumericOptions::default().set_stored().set_indexed();
    let fields = Fields {
        unit_id: b.add_text_field("unit_id", STRING | STORED),
        doc_id: b.add_text_field("doc_id", STRING | STORED),
        doc_title: b.add_text_field("doc_title", text.clone()),
        doc_kind: b.add_text_field("doc_kind", STRING | STORED),
        heading: b.add_text_field("heading", text.clone()),
        heading_path: b.add_text_field("heading_path", STORED),
        body: b.add_text_field("body", text.clone()),
        lead: b.add_text_field("lead", text),
        article: b.add_u64_field("article", stored_num.clone()),
        article_suffix: b.add_u64_field("article_suffix", stored_num.clone()),
        clause: b.add_u64_field("clause", stored_num),
        section: b.add_text_field("section", STRING | STORED),
    };
    (b.build(), fields)
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build()
}

/// Question words and particles that carry no topic in officer questions.
const STOPWORDS: &[&str] = &[
    "的",
    "了",
    "是",
    "在",
    "和",
    "与",
    "或",
    "要",
    "不要",
    "什么",
    "怎么",
    "怎么办",
    "如何",
    "哪些",
    "哪个",
    "多少",
    "多长时间",
    "多久",
    "几",
    "吗",
    "呢",
    "吧",
    "啊",
    "谁",
    "有",
    "没有",
    "能",
    "能否",
    "可以",
    "需要",
    "应该",
    "我们",
    "我",
    "他们",
    "这个",
    "那个",
    "一个",
    "被",
    "对",
    "把",
    "到底",
    "平时",
    "一下",
    "这样",
    "可以吗",
    "行不行",
    "有没有",
    "是不是",
    "能不能",
    "还能",
    "老是",
    "直接",
    "开始",
    "东西",
    "以后",
    "之后",
    "时候",
    "现在",
    "已经",
    "就是",
    "还是",
    "可是",
    "但是",
    "如果",
    "那么",
    "因为",
    "所以",
    "怎么样",
    "咋办",
    "咋",
    "呀",
    "哪儿",
    "这种",
    "那种",
    "这些",
    "那些",
    "我们公司",
    "咱们",
    "人家",
    "一些",
    "很多",
    "还有",
    "到底要",
];

/// tantivy with the jieba analyser, in a directory or in memory.
pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    writer: Option<IndexWriter>,
    fields: Fields,
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it if missing.
    pub fn open_in_dir(dir: &Path) -> Result<TantivyIndex> {
        std::fs::create_dir_all(dir).map_err(|e| EngineError::Io {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| EngineError::Index(e.to_string()))?;
        let index = Index::open_or_create(mmap, schema)?;
        Self::from_index(index, fields)
    }

    /// An in-memory index (tests, benchmarks).
    pub fn in_memory() -> Result<TantivyIndex> {
        let (schema, fields) = schema();
        Self::from_index(Index::create_in_ram(schema), fields)
    }

    fn from_index(index: Index, fields: Fields) -> Result<TantivyIndex> {
        index.tokenizers().register(TOKENIZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(TantivyIndex {
            index,
            reader,
            writer: None,
            fields,
        })
    }

    fn writer(&mut self) -> Result<&mut IndexWriter> {
        if self.writer.is_none() {
            let threads = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(4);
            let w = self
                .index
                .writer_with_num_threads(threads, 64_000_000 * threads)
                .map_err(|e| {
                    EngineError::Index(format!(
                        "无法获取索引写锁（是否有另一个导入正在运行？）：{e}"
                    ))
                })?;
            self.writer = Some(w);
        }
        self.writer
            .as_mut()
            .ok_or_else(|| EngineError::Index("索引写入器不可用".into()))
    }

    fn tokens(&self, text: &str) -> Vec<String> {
        let mut a = analyzer();
        let mut stream = a.token_stream(text);
        let mut out: Vec<String> = Vec::new();
        while stream.advance() {
            let t = stream.token().text.clone();
            let meaningful = t.chars().any(|c| c.is_alphanumeric());
            if meaningful && !STOPWORDS.contains(&t.as_str()) && !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    fn to_chunk(&self, doc: &TantivyDocument) -> IndexedChunk {
        let f = &self.fields;
        let s = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let n = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_u64())
                .map(|v| v as u32)
        };
        let section = s(f.section);
        IndexedChunk {
            unit_id: s(f.unit_id),
            doc_id: s(f.doc_id),
            doc_title: s(f.doc_title),
            doc_kind: DocKind::parse(&s(f.doc_kind)).unwrap_or(DocKind::Other),
            heading_path: serde_json::from_str(&s(f.heading_path)).unwrap_or_default(),
            heading: s(f.heading),
            text: s(f.body),
            lead: s(f.lead),
            article: n(f.article),
            article_suffix: n(f.article_suffix),
            clause: n(f.clause),
            section: (!section.is_empty()).then_some(section),
        }
    }
}

impl TextIndex for TantivyIndex {
    fn replace_document(&mut self, doc_id: &str, chunks: &[IndexedChunk]) -> Result<()> {
        let f = self.fields;
        let w = self.writer()?;
        w.delete_term(Term::from_field_text(f.doc_id, doc_id));
        for c in chunks {
            let mut d = TantivyDocument::default();
            d.add_text(f.unit_id, &c.unit_id);
            d.add_text(f.doc_id, &c.doc_id);
            d.add_text(f.doc_title, &c.doc_title);
            d.add_text(f.doc_kind, c.doc_kind.as_str());
            d.add_text(f.heading, &c.heading);
            d.add_text(
                f.heading_path,
                serde_json::to_string(&c.heading_path).unwrap_or_else(|_| "[]".into()),
            );
            d.add_text(f.body, &c.text);
            d.add_text(f.lead, &c.lead);
            if let Some(a) = c.article {
                d.add_u64(f.article, a as u64);
            }
            if let Some(s) = c.article_suffix {
                d.add_u64(f.article_suffix, s as u64);
            }
            if let Some(c) = c.clause {
                d.add_u64(f.clause, c as u64);
            }
            if let Some(s) = &c.section {
                d.add_text(f.section, s);
            }
            w.add_document(d)?;
        }
        Ok(())
    }

    fn remove_document(&mut self, doc_id: &str) -> Result<()> {
        let f = self.fields;
        self.writer()?
            .delete_term(Term::from_field_text(f.doc_id, doc_id));
        Ok(())
    }

    fn commit(&mut self, generation: u64) -> Result<()> {
        let w = self.writer()?;
        let mut prepared = w.prepare_commit()?;
        prepared.set_payload(&generation.to_string());
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    fn generation(&self) -> Result<Option<u64>> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.parse().ok()))
    }

    fn clear(&mut self) -> Result<()> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    fn rollback(&mut self) -> Result<()> {
        if let Some(w) = self.writer.as_mut() {
            w.rollback()?;
        }
        Ok(())
    }

    fn doc_counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        use tantivy::DocSet;
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let mut out = std::collections::BTreeMap::new();
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(self.fields.doc_id)?;
            let alive = seg.alive_bitset();
            let mut stream = inv
                .terms()
                .stream()
                .map_err(|e| EngineError::Index(e.to_string()))?;
            while stream.advance() {
                let key = String::from_utf8_lossy(stream.key()).into_owned();
                let mut postings = inv
                    .read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)
                    .map_err(|e| EngineError::Index(e.to_string()))?;
                let mut n = 0u64;
                let mut d = postings.doc();
                while d != tantivy::TERMINATED {
                    if alive.is_none_or(|a| a.is_alive(d)) {
                        n += 1;
                    }
                    d = postings.advance();
                }
                if n > 0 {
                    *out.entry(key).or_insert(0) += n;
                }
            }
        }
        Ok(out)
    }

    fn search(
        &self,
        query: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(f32, IndexedChunk)>> {
        self.search_expanded(query, &[], 1.0, filter, limit)
    }

    fn search_expanded(
        &self,
        query: &str,
        extra: &[&str],
        extra_weight: f32,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(f32, IndexedChunk)>> {
        let f = self.fields;
        let mut terms: Vec<(String, f32)> =
            self.tokens(query).into_iter().map(|t| (t, 1.0)).collect();
        for e in extra {
            for t in self.tokens(e) {
                if !terms.iter().any(|(x, _)| *x == t) {
                    terms.push((t, extra_weight));
                }
            }
        }
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (t, w) in &terms {
            for (field, boost) in [
                (f.body, 1.0f32),
                (f.lead, 0.5),
                (f.heading, 0.8),
                (f.doc_title, 0.6),
            ] {
                let q = TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::WithFreqs,
                );
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), boost * w)),
                ));
            }
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(should)))];
        if !filter.kinds.is_empty() {
            let ks: Vec<(Occur, Box<dyn Query>)> = filter
                .kinds
                .iter()
                .map(|k| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(f.doc_kind, k.as_str()),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(ks))));
        }
        if !filter.doc_ids.is_empty() {
            let ds: Vec<(Occur, Box<dyn Query>)> = filter
                .doc_ids
                .iter()
                .map(|d| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(f.doc_id, d),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(ds))));
        }
        for d in &filter.exclude {
            clauses.push((
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.doc_id, d),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let q = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            out.push((score, self.to_chunk(&d)));
        }
        Ok(out)
    }

    fn get(&self, unit_id: &str) -> Result<Option<IndexedChunk>> {
        let q = TermQuery::new(
            Term::from_field_text(self.fields.unit_id, unit_id),
            IndexRecordOption::Basic,
        );
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, addr)) => {
                let d: TantivyDocument = searcher.doc(*addr)?;
                Ok(Some(self.to_chunk(&d)))
            }
            None => Ok(None),
        }
    }

    fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn analyze(&self, query: &str) -> Vec<String> {
        self.tokens(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(id: &str, doc: &str, title: &str, text: &str, article: u32) -> IndexedChunk {
        IndexedChunk {
            unit_id: format!("{doc}#{id}"),
            doc_id: doc.into(),
            doc_title: title.into(),
            doc_kind: DocKind::Law,
            heading_path: vec!["第一章 总则".into()],
            heading: String::new(),
            text: text.into(),
            lead: text.into(),
            article: Some(article),
            article_suffix: None,
            clause: None,
            section: None,
        }
    }

    /// The contract every TextIndex must keep.
    fn conformance(ix: &mut dyn TextIndex) {
        assert!(ix.is_empty());
        ix.replace_document(
            "a",
            &[
                chunk(
                    "art1",
                    "a",
                    "中华人民共和国安全生产法",
                    "生产经营单位应当建立安全生产责任制。",
                    1,
                ),
                chunk(
                    "art2",
                    "a",
                    "中华人民共和国安全生产法",
                    "危险化学品泄漏时应当立即疏散人员。",
                    2,
                ),
            ],
        )
        .unwrap();
        ix.replace_document(
            "b",
            &[chunk(
                "art1",
                "b",
                "森林防火条例",
                "森林火灾扑救由县级人民政府组织。",
                1,
            )],
        )
        .unwrap();
        // Staged writes are invisible until commit.
        assert!(ix.is_empty());
        ix.commit(7).unwrap();
        assert_eq!(ix.len(), 3);
        assert_eq!(ix.generation().unwrap(), Some(7));
        let hits = ix.search("危险化学品泄漏", &Filter::default(), 5).unwrap();
        assert_eq!(hits[0].1.unit_id, "a#art2");
        let hits = ix.search("森林火灾", &Filter::default(), 5).unwrap();
        assert_eq!(hits[0].1.unit_id, "b#art1");
        let only_a = Filter {
            doc_ids: vec!["a".into()],
            ..Filter::default()
        };
        assert!(ix
            .search("森林火灾", &only_a, 5)
            .unwrap()
            .iter()
            .all(|h| h.1.doc_id == "a"));
        assert_eq!(ix.get("a#art1").unwrap().unwrap().article, Some(1));
        // Replacing a document drops its old chunks.
        ix.replace_document(
            "a",
            &[chunk(
                "art1",
                "a",
                "中华人民共和国安全生产法",
                "新的文本。",
                1,
            )],
        )
        .unwrap();
        ix.commit(8).unwrap();
        assert_eq!(ix.len(), 2);
        assert!(ix.get("a#art2").unwrap().is_none());
        ix.remove_document("b").unwrap();
        ix.commit(9).unwrap();
        assert_eq!(ix.len(), 1);
        assert!(ix.search("", &Filter::default(), 5).unwrap().is_empty());
    }

    #[test]
    fn tantivy_in_memory_conforms() {
        conformance(&mut TantivyIndex::in_memory().unwrap());
    }

    #[test]
    fn tantivy_on_disk_conforms_and_persists() {
        let t = tempfile::tempdir().unwrap();
        {
            let mut ix = TantivyIndex::open_in_dir(t.path()).unwrap();
            conformance(&mut ix);
        }
        let ix = TantivyIndex::open_in_dir(t.path()).unwrap();
        assert_eq!(ix.len(), 1);
        assert_eq!(ix.generation().unwrap(), Some(9));
    }

    #[test]
    fn query_analysis_drops_question_words() {
        let ix = TantivyIndex::in_memory().unwrap();
        let t = ix.analyze("安全生产许可证有效期是多少？");
        assert!(t.contains(&"许可证".to_string()), "{t:?}");
        assert!(
            !t.iter().any(|x| x == "是" || x == "多少" || x == "？"),
            "{t:?}"
        );
    }
}
