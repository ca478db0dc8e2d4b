//! The knowledge graph: [`GraphStore`] and its oxigraph implementation.
//!
//! Each document lives in its own named graph (`https://emkg.local/graph/<doc>`),
//! replaced in one transaction on re-ingest. The vocabulary is loaded into
//! `https://emkg.local/graph/ontology`. Queries see the union of all graphs as
//! their default graph. Like the text index, the graph is derived data: it is
//! rebuilt from the stored documents when its generation lags the catalog.

use crate::error::{EngineError, Result};
use emkg_ingest::extract::{Evidence, NormKind, Threshold};
use emkg_ingest::Document;
use emkg_ontology::vocab::{self, actor_iri, id_iri, term};
use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use std::path::Path;
use std::time::Duration;

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    Json,
    Csv,
}

/// Limits for one query.
#[derive(Debug, Clone)]
pub struct QueryLimits {
    pub timeout: Duration,
    /// Most solutions (or triples) returned.
    pub max_results: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            timeout: Duration::from_secs(10),
            max_results: 10_000,
        }
    }
}

/// A serialised query result.
#[derive(Debug, Clone)]
pub struct QueryOutput {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Whether `max_results` cut the result.
    pub truncated: bool,
}

/// The triples of one document: its own, and those about shared nodes
/// (actors, departments) that many documents mention. Shared triples go to
/// one shared graph so that a query over the union sees each of them once.
#[derive(Debug, Default)]
pub struct DocTriples {
    pub own: Vec<(NamedOrBlankNode, NamedNode, Term)>,
    pub shared: Vec<(NamedOrBlankNode, NamedNode, Term)>,
}

const SHARED_GRAPH: &str = "https://emkg.local/graph/shared";

/// A graph store of per-document named graphs.
pub trait GraphStore: Send + Sync {
    /// Replaces the named graph of `doc_id` with `triples`, atomically.
    fn replace_document(&self, doc_id: &str, triples: DocTriples) -> Result<()>;
    fn remove_document(&self, doc_id: &str) -> Result<()>;
    /// Loads the graphs of documents that are not in the store yet, in bulk
    /// (one atomic load for all of them; much faster than transactions).
    fn load_new_documents(&self, docs: Vec<(String, DocTriples)>) -> Result<()>;
    /// Records the catalog generation the graph reflects.
    fn set_generation(&self, generation: u64) -> Result<()>;
    /// Removes every quad (a rebuild starts from it).
    fn clear(&self) -> Result<()>;
    /// IRIs of the non-empty per-document named graphs (for `emkg check`).
    fn document_graphs(&self) -> Result<std::collections::BTreeSet<String>>;
    fn generation(&self) -> Result<Option<u64>>;
    /// Runs a read-only SPARQL query over the union of all graphs but those
    /// of the `hidden` documents (ids of documents the caller may not read:
    /// their graphs are neither in the default graph nor reachable by
    /// `GRAPH`, and a result naming one of them or its units — a public
    /// document citing it — is left out).
    fn query(
        &self,
        sparql: &str,
        limits: &QueryLimits,
        format: ResultFormat,
        hidden: &[String],
    ) -> Result<QueryOutput>;
    /// Number of quads.
    fn len(&self) -> Result<usize>;
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
}

const META_GRAPH: &str = "https://emkg.local/graph/meta";

fn err(e: impl std::fmt::Display) -> EngineError {
    EngineError::Graph(e.to_string())
}

fn nn(iri: &str) -> Result<NamedNode> {
    NamedNode::new(iri).map_err(|e| EngineError::Graph(format!("无效 IRI {iri}：{e}")))
}

/// oxigraph: RocksDB on disk, or in memory.
pub struct OxigraphGraph {
    store: Store,
}

impl OxigraphGraph {
    /// Opens (creating) the store in `dir` for writing and loads the vocabulary.
    pub fn open(dir: &Path) -> Result<Self> {
        let store = Store::open(dir).map_err(err)?;
        let g = OxigraphGraph { store };
        g.load_ontology()?;
        Ok(g)
    }

    /// Opens an existing store for reading only (no writer may run meanwhile).
    pub fn open_read_only(dir: &Path) -> Result<Self> {
        let store = Store::open_read_only(dir).map_err(err)?;
        Ok(OxigraphGraph { store })
    }

    pub fn in_memory() -> Result<Self> {
        let g = OxigraphGraph {
            store: Store::new().map_err(err)?,
        };
        g.load_ontology()?;
        Ok(g)
    }

    fn load_ontology(&self) -> Result<()> {
        let graph = nn(vocab::ONTOLOGY_GRAPH)?;
        let parser = RdfParser::from_format(RdfFormat::Turtle).with_default_graph(graph.clone());
        let mut t = self.store.start_transaction().map_err(err)?;
        t.clear_graph(GraphNameRef::NamedNode(graph.as_ref()))
            .map_err(err)?;
        t.load_from_slice(parser, vocab::TTL.as_bytes())
            .map_err(err)?;
        t.commit().map_err(err)
    }
}

impl GraphStore for OxigraphGraph {
    fn replace_document(&self, doc_id: &str, triples: DocTriples) -> Result<()> {
        let graph = nn(&vocab::graph_iri(doc_id))?;
        let shared = nn(SHARED_GRAPH)?;
        let mut t = self.store.start_transaction().map_err(err)?;
        t.clear_graph(GraphNameRef::NamedNode(graph.as_ref()))
            .map_err(err)?;
        for (s, p, o) in triples.own {
            t.insert(&Quad::new(s, p, o, graph.clone()));
        }
        for (s, p, o) in triples.shared {
            t.insert(&Quad::new(s, p, o, shared.clone()));
        }
        t.commit().map_err(err)
    }

    fn remove_document(&self, doc_id: &str) -> Result<()> {
        let graph = nn(&vocab::graph_iri(doc_id))?;
        let mut t = self.store.start_transaction().map_err(err)?;
        t.clear_graph(GraphNameRef::NamedNode(graph.as_ref()))
            .map_err(err)?;
        t.commit().map_err(err)
    }

    fn load_new_documents(&self, docs: Vec<(String, DocTriples)>) -> Result<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let shared = nn(SHARED_GRAPH)?;
        let mut quads = Vec::new();
        for (id, t) in docs {
            let graph = nn(&vocab::graph_iri(&id))?;
            quads.extend(
                t.own
                    .into_iter()
                    .map(|(s, p, o)| Quad::new(s, p, o, graph.clone())),
            );
            quads.extend(
                t.shared
                    .into_iter()
                    .map(|(s, p, o)| Quad::new(s, p, o, shared.clone())),
            );
        }
        let mut loader = self
            .store
            .bulk_loader()
            .with_num_threads(2)
            .with_max_memory_size_in_megabytes(512);
        loader.load_quads(quads).map_err(err)?;
        loader.commit().map_err(err)
    }

    fn set_generation(&self, generation: u64) -> Result<()> {
        let graph = nn(META_GRAPH)?;
        let mut t = self.store.start_transaction().map_err(err)?;
        t.clear_graph(GraphNameRef::NamedNode(graph.as_ref()))
            .map_err(err)?;
        t.insert(&Quad::new(
            nn(META_GRAPH)?,
            nn(&term("generation"))?,
            Literal::from(generation as i64),
            graph,
        ));
        t.commit().map_err(err)?;
        // The generation is stamped last, after every write of a commit:
        // flush now, so that no read-only open (search, serve) has to
        // replay a large write-ahead log (30 s over a full corpus).
        self.store.flush().map_err(err)
    }

    fn clear(&self) -> Result<()> {
        self.store.clear().map_err(err)?;
        // The ontology is not derived from documents: put it back.
        self.load_ontology()
    }

    fn document_graphs(&self) -> Result<std::collections::BTreeSet<String>> {
        let mut out = std::collections::BTreeSet::new();
        for g in self.store.named_graphs() {
            let g = g.map_err(err)?;
            let NamedOrBlankNode::NamedNode(n) = g else {
                continue;
            };
            if [SHARED_GRAPH, META_GRAPH, vocab::ONTOLOGY_GRAPH].contains(&n.as_str()) {
                continue;
            }
            let non_empty = self
                .store
                .quads_for_pattern(None, None, None, Some(GraphNameRef::NamedNode(n.as_ref())))
                .next()
                .is_some();
            if non_empty {
                out.insert(n.as_str().to_string());
            }
        }
        Ok(out)
    }

    fn generation(&self) -> Result<Option<u64>> {
        let g = nn(META_GRAPH)?;
        let p = nn(&term("generation"))?;
        for q in self.store.quads_for_pattern(
            Some(g.as_ref().into()),
            Some(p.as_ref()),
            None,
            Some(GraphNameRef::NamedNode(g.as_ref())),
        ) {
            let q = q.map_err(err)?;
            if let Term::Literal(l) = q.object {
                // Stored as xsd:integer (i64): the dirty stamp u64::MAX
                // reads back as -1 and must come back as itself.
                return Ok(l.value().parse::<i64>().ok().map(|v| v as u64));
            }
        }
        Ok(None)
    }

    fn query(
        &self,
        sparql: &str,
        limits: &QueryLimits,
        format: ResultFormat,
        hidden: &[String],
    ) -> Result<QueryOutput> {
        let token = CancellationToken::new();
        let mut evaluator = SparqlEvaluator::new().with_cancellation_token(token.clone());
        // Common prefixes are predeclared so that short queries work as typed.
        for (p, iri) in [
            ("emkg", vocab::NS),
            ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
            ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
            ("xsd", vocab::XSD),
            ("owl", "http://www.w3.org/2002/07/owl#"),
        ] {
            evaluator = evaluator.with_prefix(p, iri).map_err(err)?;
        }
        let mut prepared = evaluator.parse_query(sparql).map_err(|e| {
            let msg = e.to_string();
            if sparql.to_ascii_uppercase().contains("INSERT")
                || sparql.to_ascii_uppercase().contains("DELETE")
            {
                EngineError::BadQuery(
                    "只允许只读查询（SELECT/ASK/CONSTRUCT/DESCRIBE），不接受更新操作".into(),
                )
            } else {
                EngineError::BadQuery(format!("SPARQL 语法错误：{msg}"))
            }
        })?;
        let hidden_graphs: Vec<String> = hidden.iter().map(|d| vocab::graph_iri(d)).collect();
        if hidden.is_empty() {
            prepared.dataset_mut().set_default_graph_as_union();
        } else {
            let mut visible = Vec::new();
            for g in self.store.named_graphs() {
                if let NamedOrBlankNode::NamedNode(n) = g.map_err(err)? {
                    if !hidden_graphs.iter().any(|h| h == n.as_str()) {
                        visible.push(n);
                    }
                }
            }
            let ds = prepared.dataset_mut();
            ds.set_default_graph(visible.iter().cloned().map(Into::into).collect());
            ds.set_available_named_graphs(visible.into_iter().map(Into::into).collect());
        }
        // A timer cancels the evaluation when the time is up.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let timeout = limits.timeout;
        let timer_token = token.clone();
        let timer = std::thread::spawn(move || {
            if done_rx.recv_timeout(timeout).is_err() {
                timer_token.cancel();
            }
        });
        let hidden_ids = HiddenIds::new(hidden);
        let result = run_query(
            prepared.on_store(&self.store).execute(),
            limits,
            format,
            timeout,
            &hidden_ids,
        );
        let _ = done_tx.send(());
        let _ = timer.join();
        result
    }

    fn len(&self) -> Result<usize> {
        self.store.len().map_err(err)
    }
}

fn eval_err(e: oxigraph::sparql::QueryEvaluationError, timeout: Duration) -> EngineError {
    match e {
        oxigraph::sparql::QueryEvaluationError::Cancelled => EngineError::BadQuery(format!(
            "查询超时（超过 {} 秒），已取消",
            timeout.as_secs_f64()
        )),
        other => EngineError::BadQuery(format!("查询执行失败：{other}")),
    }
}

/// IRIs of hidden documents and of their units (`…/id/doc`, `…/id/doc#art1`).
struct HiddenIds(Vec<String>);

impl HiddenIds {
    fn new(docs: &[String]) -> Self {
        HiddenIds(docs.iter().map(|d| id_iri(d)).collect())
    }

    fn names(&self, t: &Term) -> bool {
        match t {
            Term::NamedNode(n) => self.iri(n.as_str()),
            _ => false,
        }
    }

    fn iri(&self, s: &str) -> bool {
        self.0.iter().any(|d| {
            s.strip_prefix(d.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('#'))
        })
    }
}

fn run_query(
    results: std::result::Result<QueryResults<'_>, oxigraph::sparql::QueryEvaluationError>,
    limits: &QueryLimits,
    format: ResultFormat,
    timeout: Duration,
    hidden: &HiddenIds,
) -> Result<QueryOutput> {
    let results = results.map_err(|e| eval_err(e, timeout))?;
    let (fmt, ct) = match format {
        ResultFormat::Json => (QueryResultsFormat::Json, "application/sparql-results+json"),
        ResultFormat::Csv => (QueryResultsFormat::Csv, "text/csv; charset=utf-8"),
    };
    match results {
        QueryResults::Boolean(b) => {
            let body = QueryResultsSerializer::from_format(fmt)
                .serialize_boolean_to_writer(Vec::new(), b)
                .map_err(err)?;
            Ok(QueryOutput {
                content_type: ct,
                body,
                truncated: false,
            })
        }
        QueryResults::Solutions(solutions) => {
            let vars = solutions.variables().to_vec();
            let mut ser = QueryResultsSerializer::from_format(fmt)
                .serialize_solutions_to_writer(Vec::new(), vars)
                .map_err(err)?;
            let mut truncated = false;
            let mut n = 0;
            for s in solutions {
                let s = s.map_err(|e| eval_err(e, timeout))?;
                if !hidden.0.is_empty() && s.values().iter().flatten().any(|t| hidden.names(t)) {
                    continue;
                }
                if n >= limits.max_results {
                    truncated = true;
                    break;
                }
                n += 1;
                ser.serialize(&s).map_err(err)?;
            }
            Ok(QueryOutput {
                content_type: ct,
                body: ser.finish().map_err(err)?,
                truncated,
            })
        }
        QueryResults::Graph(triples) => {
            let mut ser = RdfSerializer::from_format(RdfFormat::NTriples).for_writer(Vec::new());
            let mut truncated = false;
            let mut n = 0;
            for t in triples {
                let t = t.map_err(|e| eval_err(e, timeout))?;
                let subject_hidden = match &t.subject {
                    NamedOrBlankNode::NamedNode(s) => hidden.iri(s.as_str()),
                    _ => false,
                };
                if !hidden.0.is_empty() && (subject_hidden || hidden.names(&t.object)) {
                    continue;
                }
                if n >= limits.max_results {
                    truncated = true;
                    break;
                }
                n += 1;
                ser.serialize_triple(&t).map_err(err)?;
            }
            Ok(QueryOutput {
                content_type: "application/n-triples",
                body: ser.finish().map_err(err)?,
                truncated,
            })
        }
    }
}

/// Builds the triples of a document: the document, its units and links,
/// and every extracted fact with its provenance.
pub fn document_triples(doc: &Document) -> Result<DocTriples> {
    let mut b = Builder::default();
    let d = nn(&id_iri(&doc.id))?;
    b.typ(&d, vocab::doc_class(doc.kind))?;
    if doc.kind == emkg_ontology::DocKind::Plan {
        if let Some(c) = vocab::plan_class(&doc.title) {
            b.typ(&d, c)?;
        }
    }
    b.lit(&d, "title", Literal::new_simple_literal(&doc.title))?;
    b.lit(
        &d,
        "shortTitle",
        Literal::new_simple_literal(emkg_ontology::normalize_title(&doc.title)),
    )?;
    b.label(&d, &doc.title)?;
    let opt = |b: &mut Builder, p: &str, v: &Option<String>| -> Result<()> {
        if let Some(v) = v {
            b.lit(&d, p, Literal::new_simple_literal(v))?;
        }
        Ok(())
    };
    opt(&mut b, "issuer", &doc.issuer)?;
    opt(&mut b, "docNumber", &doc.doc_number)?;
    opt(&mut b, "version", &doc.version)?;
    opt(&mut b, "status", &doc.status)?;
    for (p, v) in [
        ("promulgated", &doc.dates.promulgated),
        ("effective", &doc.dates.effective),
        ("amended", &doc.dates.amended),
    ] {
        if let Some(v) = v {
            b.lit(
                &d,
                p,
                Literal::new_typed_literal(v, nn(&format!("{}date", vocab::XSD))?),
            )?;
        }
    }
    b.lit(
        &d,
        "sourcePath",
        Literal::new_simple_literal(&doc.source.path),
    )?;
    b.lit(
        &d,
        "contentHash",
        Literal::new_simple_literal(&doc.content_hash),
    )?;

    for u in &doc.units {
        let s = nn(&id_iri(&u.id))?;
        b.typ(&s, vocab::unit_class(u.kind))?;
        b.lit(&s, "unitId", Literal::new_simple_literal(&u.id))?;
        b.obj(&s, "inDocument", &d)?;
        b.label(&s, &u.label)?;
        if let Some(p) = u.parent.and_then(|p| doc.units.get(p)) {
            b.obj(&s, "partOf", &nn(&id_iri(&p.id))?)?;
        }
        for (p, v) in [
            ("articleNumber", u.article),
            ("clauseNumber", u.clause),
            ("itemNumber", u.item),
        ] {
            if let Some(v) = v {
                b.lit(&s, p, Literal::from(v as i64))?;
            }
        }
        if let Some(sec) = &u.section {
            b.lit(&s, "sectionNumber", Literal::new_simple_literal(sec))?;
        }
        if let Some(h) = &u.heading {
            b.lit(&s, "heading", Literal::new_simple_literal(h))?;
        }
        if !u.kind.is_container() {
            b.lit(&s, "text", Literal::new_simple_literal(&u.text))?;
        }
        b.span(&s, u.span)?;
        if !u.responsible.is_empty() {
            b.typ(&s, "Task")?;
            for dept in &u.responsible {
                let a = nn(&actor_iri(dept))?;
                b.obj(&s, "responsibleDepartment", &a)?;
                b.shared(&a, vocab::RDF_TYPE, nn(&term("Department"))?.into())?;
                b.shared(
                    &a,
                    vocab::RDFS_LABEL,
                    Literal::new_simple_literal(dept).into(),
                )?;
            }
        }
    }
    for (n, r) in doc.xrefs.iter().enumerate() {
        let c = nn(&id_iri(&format!("{}/ref{n}", doc.id)))?;
        b.typ(&c, "Citation")?;
        b.provenance(&c, &r.from, r.span, &r.raw)?;
        if let Some(t) = &r.doc_title {
            b.lit(&c, "citedTitle", Literal::new_simple_literal(t))?;
        }
        if let Some(t) = &r.resolved {
            let target = nn(&id_iri(t))?;
            b.obj(&c, "target", &target)?;
            b.obj(&nn(&id_iri(&r.from))?, "cites", &target)?;
        }
    }

    let f = &doc.facts;
    let fact = |kind: &str, n: usize| nn(&id_iri(&format!("{}/{kind}{n}", doc.id)));
    for (n, x) in f.norms.iter().enumerate() {
        let s = fact("norm", n)?;
        b.typ(
            &s,
            match x.kind {
                NormKind::Obligation => "Obligation",
                NormKind::Prohibition => "Prohibition",
                NormKind::Permission => "Permission",
            },
        )?;
        b.evidence(&s, &x.ev)?;
        b.lit(&s, "modal", Literal::new_simple_literal(&x.modal))?;
        if let Some(subj) = &x.subject {
            b.actor(&s, "binds", subj)?;
        }
    }
    for (n, p) in f.penalties.iter().enumerate() {
        let s = fact("penalty", n)?;
        b.typ(&s, "Penalty")?;
        b.evidence(&s, &p.ev)?;
        b.lit(&s, "penaltyKind", Literal::new_simple_literal(&p.kind))?;
        for (prop, v) in [
            ("minAmount", p.min_amount),
            ("maxAmount", p.max_amount),
            ("minMultiple", p.min_multiple),
            ("maxMultiple", p.max_multiple),
            ("minPercent", p.min_percent),
            ("maxPercent", p.max_percent),
        ] {
            if let Some(v) = v {
                b.lit(&s, prop, decimal(v)?)?;
            }
        }
        if let Some(base) = &p.base {
            b.lit(&s, "multipleOf", Literal::new_simple_literal(base))?;
        }
        if let Some(t) = &p.target {
            b.actor(&s, "penaltyTarget", t)?;
        }
        for (unit, method) in &p.sanctions {
            b.obj(&s, "sanctions", &nn(&id_iri(unit))?)?;
            b.lit(&s, "sanctionMethod", Literal::new_simple_literal(method))?;
        }
    }
    for (n, x) in f.deadlines.iter().enumerate() {
        let s = fact("deadline", n)?;
        b.typ(&s, "Deadline")?;
        b.evidence(&s, &x.ev)?;
        b.lit(&s, "value", decimal(x.value)?)?;
        b.lit(&s, "timeUnit", Literal::new_simple_literal(&x.unit))?;
        b.lit(&s, "isReporting", Literal::from(x.reporting))?;
    }
    for (n, t) in f.thresholds.iter().enumerate() {
        let s = fact("threshold", n)?;
        b.threshold(&s, t)?;
    }
    for (n, r) in f.counting_rules.iter().enumerate() {
        let s = fact("countingRule", n)?;
        b.typ(&s, "CountingRule")?;
        b.evidence(&s, &r.ev)?;
        if let Some(v) = r.above_inclusive {
            b.lit(&s, "aboveIncludesBound", Literal::from(v))?;
        }
        if let Some(v) = r.below_inclusive {
            b.lit(&s, "belowIncludesBound", Literal::from(v))?;
        }
    }
    for (n, g) in f.grades.iter().enumerate() {
        let s = fact("grade", n)?;
        b.typ(&s, "GradeDefinition")?;
        b.evidence(&s, &g.ev)?;
        b.obj(&s, "grade", &nn(&term(&g.grade))?)?;
        for (k, t) in g.thresholds.iter().enumerate() {
            let ts = nn(&id_iri(&format!("{}/grade{n}.t{k}", doc.id)))?;
            b.threshold(&ts, t)?;
            b.obj(&s, "hasThreshold", &ts)?;
        }
        for (k, c) in g.criteria.iter().enumerate() {
            let cs = nn(&id_iri(&format!("{}/grade{n}.c{k}", doc.id)))?;
            b.typ(&cs, "GradeCriterion")?;
            b.evidence(&cs, &c.ev)?;
            b.obj(&s, "hasCriterion", &cs)?;
            if let Some(cond) = &c.condition {
                b.lit(&cs, "condition", Literal::new_simple_literal(cond))?;
            }
            for (j, t) in c.thresholds.iter().enumerate() {
                let ts = nn(&id_iri(&format!("{}/grade{n}.c{k}.t{j}", doc.id)))?;
                b.threshold(&ts, t)?;
                b.obj(&cs, "hasThreshold", &ts)?;
            }
        }
    }
    for (n, x) in f.definitions.iter().enumerate() {
        let s = fact("definition", n)?;
        b.typ(&s, "Definition")?;
        b.evidence(&s, &x.ev)?;
        b.lit(&s, "definedTerm", Literal::new_simple_literal(&x.term))?;
        b.lit(&s, "definitionText", Literal::new_simple_literal(&x.text))?;
        for m in &x.members {
            b.lit(&s, "member", Literal::new_simple_literal(m))?;
        }
    }
    for (n, x) in f.reporting.iter().enumerate() {
        let s = fact("reporting", n)?;
        b.typ(&s, "ReportingDuty")?;
        b.evidence(&s, &x.ev)?;
        if let Some(r) = &x.reporter {
            b.lit(&s, "reporter", Literal::new_simple_literal(r))?;
        }
        for r in &x.recipients {
            b.lit(&s, "recipient", Literal::new_simple_literal(r))?;
        }
        for r in &x.notify {
            b.lit(&s, "notifies", Literal::new_simple_literal(r))?;
        }
        for (p, v) in [
            ("withinHours", x.within_hours),
            ("stepLimitHours", x.step_limit_hours),
            ("followupDays", x.followup_days),
        ] {
            if let Some(v) = v {
                b.lit(&s, p, decimal(v)?)?;
            }
        }
        b.lit(&s, "immediate", Literal::from(x.immediate))?;
        for g in &x.grades {
            b.obj(&s, "appliesToGrade", &nn(&term(g))?)?;
        }
        if let Some(c) = &x.event_condition {
            b.lit(&s, "eventCondition", Literal::new_simple_literal(c))?;
        }
    }
    if let Some(p) = &f.plan {
        plan_triples(&mut b, doc, &d, p)?;
    }
    for (n, r) in f.response_rules.iter().enumerate() {
        let s = fact("response", n)?;
        b.typ(&s, "ResponseRule")?;
        b.evidence(&s, &r.ev)?;
        if let Some(l) = vocab::response_level(r.level) {
            b.obj(&s, "level", &nn(&term(l))?)?;
        }
        b.lit(
            &s,
            "activationCondition",
            Literal::new_simple_literal(&r.condition),
        )?;
    }
    for m in &f.hazards {
        b.obj(
            &nn(&id_iri(&m.unit))?,
            "mentionsHazard",
            &nn(&term(&m.concept))?,
        )?;
    }
    for m in &f.warnings {
        b.obj(
            &nn(&id_iri(&m.unit))?,
            "mentionsWarningLevel",
            &nn(&term(&m.concept))?,
        )?;
    }
    if let Some(c) = &f.case {
        let s = nn(&id_iri(&format!("{}/incident", doc.id)))?;
        b.typ(&s, "AccidentCase")?;
        b.obj(&s, "describedBy", &d)?;
        for (p, v) in [
            ("deaths", c.deaths),
            ("seriousInjuries", c.serious_injuries),
            ("injuries", c.injuries),
        ] {
            if let Some(v) = v {
                b.lit(&s, p, Literal::from(v as i64))?;
            }
        }
        if let Some(v) = c.direct_loss {
            b.lit(&s, "directLoss", decimal(v)?)?;
        }
        if let Some(g) = &c.grade {
            b.obj(&s, "grade", &nn(&term(g))?)?;
        }
        if let Some(e) = &c.evidence {
            b.obj(&s, "evidenceUnit", &nn(&id_iri(&e.unit))?)?;
        }
        for (p, list) in [
            ("cause", &c.causes),
            ("responsibleParty", &c.findings),
            ("measure", &c.measures),
        ] {
            for e in list {
                b.lit(&s, p, Literal::new_simple_literal(&e.text))?;
                b.obj(&s, "evidenceUnit", &nn(&id_iri(&e.unit))?)?;
            }
        }
    }
    Ok(DocTriples {
        own: b.out,
        shared: b.shared,
    })
}

/// A plan's scope, levels with their conditions, actions, roles and member duties.
fn plan_triples(
    b: &mut Builder,
    doc: &Document,
    d: &NamedNode,
    p: &emkg_ingest::plan::PlanFacts,
) -> Result<()> {
    let fact = |kind: &str, n: usize| nn(&id_iri(&format!("{}/{kind}{n}", doc.id)));
    if let Some(sc) = &p.scope {
        b.lit(d, "scopeText", Literal::new_simple_literal(&sc.text))?;
        b.obj(d, "scopeUnit", &nn(&id_iri(&sc.unit))?)?;
    }
    for (n, l) in p.levels.iter().enumerate() {
        let s = fact("level", n)?;
        b.typ(&s, "LevelRule")?;
        b.evidence(&s, &l.ev)?;
        b.obj(&s, "inPlan", d)?;
        if let Some(lv) = vocab::response_level(l.level) {
            b.obj(&s, "level", &nn(&term(lv))?)?;
        }
        if let Some(c) = &l.command {
            b.lit(&s, "commandText", Literal::new_simple_literal(&c.text))?;
        }
        for (k, c) in l.conditions.iter().enumerate() {
            let cs = nn(&id_iri(&format!("{}/level{n}.c{k}", doc.id)))?;
            b.typ(&cs, "LevelCondition")?;
            b.evidence(&cs, &c.ev)?;
            b.obj(&s, "hasCondition", &cs)?;
            for g in &c.grades {
                b.obj(&cs, "appliesToGrade", &nn(&term(g))?)?;
            }
            b.lit(&cs, "orAbove", Literal::from(c.or_above))?;
            for w in &c.warnings {
                b.obj(&cs, "warningLevel", &nn(&term(w))?)?;
            }
            for (j, t) in c.thresholds.iter().enumerate() {
                let ts = nn(&id_iri(&format!("{}/level{n}.c{k}.t{j}", doc.id)))?;
                b.threshold(&ts, t)?;
                b.obj(&cs, "hasThreshold", &ts)?;
            }
        }
    }
    for (n, a) in p.actions.iter().enumerate() {
        let s = fact("action", n)?;
        b.typ(&s, "Action")?;
        b.evidence(&s, &a.ev)?;
        b.obj(&s, "inPlan", d)?;
        if let Some(t) = &a.title {
            b.lit(&s, "actionTitle", Literal::new_simple_literal(t))?;
        }
        for o in &a.lead {
            b.actor(&s, "leadOrganisation", o)?;
        }
        for o in &a.support {
            b.actor(&s, "supportOrganisation", o)?;
        }
    }
    for (n, r) in p.roles.iter().enumerate() {
        let s = fact("role", n)?;
        b.typ(&s, "RoleAssignment")?;
        b.evidence(&s, &r.ev)?;
        b.obj(&s, "inPlan", d)?;
        b.lit(&s, "roleName", Literal::new_simple_literal(&r.role))?;
        b.lit(&s, "roleHolder", Literal::new_simple_literal(&r.holder))?;
    }
    for (n, r) in p.duties.iter().enumerate() {
        let s = fact("duty", n)?;
        b.typ(&s, "Responsibility")?;
        b.evidence(&s, &r.ev)?;
        b.obj(&s, "inPlan", d)?;
        b.actor(&s, "organisation", &r.org)?;
        b.lit(&s, "duty", Literal::new_simple_literal(&r.duty))?;
    }
    Ok(())
}

fn decimal(v: f64) -> Result<Literal> {
    let text = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    };
    Ok(Literal::new_typed_literal(
        text,
        nn(&format!("{}decimal", vocab::XSD))?,
    ))
}

#[derive(Default)]
struct Builder {
    out: Vec<(NamedOrBlankNode, NamedNode, Term)>,
    shared: Vec<(NamedOrBlankNode, NamedNode, Term)>,
}

impl Builder {
    fn shared(&mut self, s: &NamedNode, p: &str, o: Term) -> Result<()> {
        self.shared.push((s.clone().into(), nn(p)?, o));
        Ok(())
    }
    fn push(&mut self, s: &NamedNode, p: &str, o: Term) -> Result<()> {
        self.out.push((s.clone().into(), nn(p)?, o));
        Ok(())
    }
    fn typ(&mut self, s: &NamedNode, class: &str) -> Result<()> {
        self.push(s, vocab::RDF_TYPE, nn(&term(class))?.into())
    }
    fn lit(&mut self, s: &NamedNode, prop: &str, l: Literal) -> Result<()> {
        self.push(s, &term(prop), l.into())
    }
    fn obj(&mut self, s: &NamedNode, prop: &str, o: &NamedNode) -> Result<()> {
        self.push(s, &term(prop), o.clone().into())
    }
    fn label(&mut self, s: &NamedNode, label: &str) -> Result<()> {
        self.push(
            s,
            vocab::RDFS_LABEL,
            Literal::new_simple_literal(label).into(),
        )
    }
    fn span(&mut self, s: &NamedNode, span: (usize, usize)) -> Result<()> {
        self.lit(s, "spanStart", Literal::from(span.0 as i64))?;
        self.lit(s, "spanEnd", Literal::from(span.1 as i64))
    }
    fn provenance(
        &mut self,
        s: &NamedNode,
        unit: &str,
        span: (usize, usize),
        text: &str,
    ) -> Result<()> {
        self.obj(s, "extractedFrom", &nn(&id_iri(unit))?)?;
        self.span(s, span)?;
        self.lit(s, "text", Literal::new_simple_literal(text))
    }
    fn evidence(&mut self, s: &NamedNode, ev: &Evidence) -> Result<()> {
        self.provenance(s, &ev.unit, ev.span, &ev.text)
    }
    fn actor(&mut self, s: &NamedNode, prop: &str, label: &str) -> Result<()> {
        let a = nn(&actor_iri(label))?;
        self.obj(s, prop, &a)?;
        self.shared(&a, vocab::RDF_TYPE, nn(&term("Actor"))?.into())?;
        self.shared(
            &a,
            vocab::RDFS_LABEL,
            Literal::new_simple_literal(label).into(),
        )
    }
    fn threshold(&mut self, s: &NamedNode, t: &Threshold) -> Result<()> {
        self.typ(s, "Threshold")?;
        self.evidence(s, &t.ev)?;
        self.lit(s, "quantity", Literal::new_simple_literal(&t.quantity))?;
        self.lit(s, "bound", Literal::new_simple_literal(&t.bound))?;
        self.lit(s, "value", decimal(t.value)?)?;
        self.lit(s, "unitOfMeasure", Literal::new_simple_literal(&t.unit))?;
        if let Some(i) = t.inclusive {
            self.lit(s, "inclusive", Literal::from(i))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emkg_ingest::{parse_text, Source};

    fn doc(body: &str) -> Document {
        let src = Source {
            path: "t.md".into(),
            format: "md".into(),
            encoding: "UTF-8".into(),
        };
        let text = format!("示例条例\n\n第一条 {body}\n\n第二条 生产经营单位应当于1小时内报告。");
        parse_text("t", &text, src, String::new(), "")
    }

    fn count(g: &OxigraphGraph, q: &str) -> usize {
        let out = g
            .query(q, &QueryLimits::default(), ResultFormat::Json, &[])
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.body).unwrap();
        v["results"]["bindings"].as_array().unwrap().len()
    }

    #[test]
    fn replacing_a_document_drops_its_old_statements() {
        let g = OxigraphGraph::in_memory().unwrap();
        g.replace_document(
            "t",
            document_triples(&doc("处一万元以上三万元以下的罚款。")).unwrap(),
        )
        .unwrap();
        assert_eq!(count(&g, "SELECT ?p WHERE { ?p a emkg:Penalty }"), 1);
        g.replace_document("t", document_triples(&doc("任何单位不得迟报。")).unwrap())
            .unwrap();
        assert_eq!(count(&g, "SELECT ?p WHERE { ?p a emkg:Penalty }"), 0);
        assert_eq!(count(&g, "SELECT ?p WHERE { ?p a emkg:Prohibition }"), 1);
        g.remove_document("t").unwrap();
        assert_eq!(count(&g, "SELECT ?u WHERE { ?u a emkg:Article }"), 0);
        // The vocabulary stays.
        assert!(count(&g, "SELECT ?c WHERE { ?c a owl:Class }") > 50);
    }

    #[test]
    fn a_hidden_document_graph_is_out_of_every_query() {
        let g = OxigraphGraph::in_memory().unwrap();
        g.replace_document(
            "t",
            document_triples(&doc("处一万元以上三万元以下的罚款。")).unwrap(),
        )
        .unwrap();
        let hidden = ["t".to_string()];
        let run = |q: &str, hidden: &[String]| {
            let out = g
                .query(q, &QueryLimits::default(), ResultFormat::Json, hidden)
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out.body).unwrap();
            v["results"]["bindings"].as_array().unwrap().len()
        };
        let q = "SELECT ?p WHERE { ?p a emkg:Penalty }";
        assert_eq!(run(q, &[]), 1);
        assert_eq!(run(q, &hidden), 0);
        // Nor by naming the graph.
        let named = "SELECT ?p WHERE { GRAPH ?g { ?p a emkg:Penalty } }";
        assert_eq!(run(named, &[]), 1);
        assert_eq!(run(named, &hidden), 0);
        // The vocabulary stays visible.
        assert!(run("SELECT ?c WHERE { ?c a owl:Class }", &hidden) > 50);
    }

    #[test]
    fn updates_are_refused_and_results_capped() {
        let g = OxigraphGraph::in_memory().unwrap();
        let e = g
            .query(
                "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                &QueryLimits::default(),
                ResultFormat::Json,
                &[],
            )
            .unwrap_err();
        assert!(e.to_string().contains("只允许只读查询"), "{e}");
        let e = g
            .query(
                "SELECT WHERE {",
                &QueryLimits::default(),
                ResultFormat::Json,
                &[],
            )
            .unwrap_err();
        assert!(e.to_string().contains("语法错误"), "{e}");
        let limits = QueryLimits {
            max_results: 3,
            ..QueryLimits::default()
        };
        let out = g
            .query(
                "SELECT ?s WHERE { ?s ?p ?o }",
                &limits,
                ResultFormat::Csv,
                &[],
            )
            .unwrap();
        assert!(out.truncated);
        assert_eq!(String::from_utf8(out.body).unwrap().lines().count(), 4);
    }

    #[test]
    fn slow_queries_time_out() {
        let g = OxigraphGraph::in_memory().unwrap();
        let limits = QueryLimits {
            timeout: Duration::from_millis(50),
            max_results: 10,
        };
        // A cartesian product over the vocabulary (~1,500 triples cubed) never finishes in 50 ms.
        let e = g
            .query(
                "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                &limits,
                ResultFormat::Json,
                &[],
            )
            .unwrap_err();
        assert!(e.to_string().contains("超时"), "{e}");
    }
}
