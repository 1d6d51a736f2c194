//! Q&A segmentation (`doc_form = qa_model`, Dify's `LLMGenerator.generate_qa_document`): each
//! chunk goes to the workspace's default text model, and every question of the reply becomes
//! a segment of its own, its answer kept beside it. Only the question is embedded and
//! keyword-indexed, as in Dify.

use crate::DatasetError;
use futures::StreamExt;
use providers::ModelType;
use providers::runtime::{ChatMessage, CompletionParams, ModelRef};
use providers::tokens::Encoding;
use rag::qa::parse_qa_pairs;
use rag::split::{Chunk, text_hash};
use uuid::Uuid;

use super::Indexer;

/// Dify's `GENERATOR_QA_PROMPT` (its typo "the the language" included: models were tuned on it).
const GENERATOR_QA_PROMPT: &str = "The user will send a long text. Please think step by step.\
Step 1: Understand and summarize the main content of this text.\n\
Step 2: What key information or concepts are mentioned in this text?\n\
Step 3: Decompose or combine multiple pieces of information and concepts.\n\
Step 4: Generate 20 questions and answers based on these key information and concepts.\
The questions should be clear and detailed, and the answers should be detailed and complete.\n\
Answer according to the the language:{language} and in the following format: Q1:\nA1:\nQ2:\nA2:...\n";

/// Answers allowed per chunk, as Dify asks.
const MAX_TOKENS: u32 = 2000;

/// Chunks sent to the model at once (Dify runs ten threads; vendors rate-limit far sooner).
const PARALLEL: usize = 4;

/// The system prompt for a document in `language`.
pub fn prompt(language: &str) -> String {
    GENERATOR_QA_PROMPT.replace("{language}", language)
}

/// A generated question as a chunk to store, and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct QaChunk {
    pub chunk: Chunk,
    pub answer: String,
}

/// The workspace's default text model; without one, Dify's "Default model is not available".
pub async fn default_text_model(indexer: &Indexer, tenant_id: Uuid) -> Result<ModelRef, DatasetError> {
    let default =
        providers::store::usable_default_model(&indexer.db, &indexer.hosting, tenant_id, ModelType::TextGeneration)
            .await?
            .ok_or(DatasetError::NoDefaultModel)?;
    let provider = default.model_provider.provider_name;
    let call = providers::store::get_credentials(
        &indexer.db,
        indexer.storage.as_ref(),
        &indexer.credentials,
        &indexer.hosting,
        tenant_id,
        &provider,
        &default.model_name,
        ModelType::TextGeneration,
    )
    .await?;
    Ok(ModelRef::new(provider, default.model_name, call.credentials))
}

/// Question/answer chunks for `chunks`, in order; the first failing model call fails them all
/// with the provider's message.
pub async fn generate(
    indexer: &Indexer,
    model: &ModelRef,
    chunks: &[Chunk],
    language: &str,
    encoding: Option<Encoding>,
) -> Result<Vec<QaChunk>, String> {
    let system = prompt(language);
    let params = CompletionParams { max_tokens: Some(MAX_TOKENS), ..Default::default() };
    // Each call owns what it uses: a stream of borrowing closures defeats the `Send` proof
    // of the worker's job future.
    let calls: Vec<_> = chunks
        .iter()
        .map(|chunk| {
            let (http, model, params) = (indexer.http.clone(), model.clone(), params.clone());
            let messages = [ChatMessage::system(system.clone()), ChatMessage::user(chunk.content.clone())];
            async move {
                providers::runtime::generate(&http, &model, &messages, &params)
                    .await
                    .map(|r| r.text.trim().to_owned())
                    .map_err(|e| e.to_string())
            }
        })
        .collect();
    let replies: Vec<Result<String, String>> = futures::stream::iter(calls).buffered(PARALLEL).collect().await;
    let mut out = Vec::new();
    for reply in replies {
        for mut pair in parse_qa_pairs(&reply?) {
            // Model output is cleaned like extracted text (a NUL would fail the segment write).
            pair.question = rag::clean::sanitize(&pair.question);
            pair.answer = rag::clean::sanitize(&pair.answer);
            let tokens = encoding.map_or(0, |e| e.count(&pair.question));
            out.push(QaChunk {
                chunk: Chunk {
                    doc_id: Uuid::new_v4().to_string(),
                    word_count: pair.question.chars().count(),
                    tokens,
                    doc_hash: text_hash(&pair.question),
                    content: pair.question,
                },
                answer: pair.answer,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::prompt;

    #[test]
    fn the_prompt_names_the_language() {
        let p = prompt("Chinese");
        assert!(p.starts_with("The user will send a long text. Please think step by step.Step 1:"));
        assert!(p.ends_with("the language:Chinese and in the following format: Q1:\nA1:\nQ2:\nA2:...\n"));
    }
}
