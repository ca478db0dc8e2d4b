//! Local models for emkg — reserved for the model-engine issue (#3): a Chinese
//! embedding model and a small LLM in candle, behind `Embedder` and `Generator`
//! traits, loaded from local files only. Nothing lives here yet; the engine
//! runs on BM25 and the knowledge graph without models.
